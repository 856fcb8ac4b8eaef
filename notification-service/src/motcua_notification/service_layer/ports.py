"""What the service layer needs from the outside, as protocols the adapters (and unit fakes) fulfil."""

from dataclasses import dataclass
from typing import Protocol


class SendError(Exception):
    """A send that did not go through. `permanent` failures are not retried (a refused address, a 4xx
    from a gateway); transient ones are (the server is away, a 5xx, a time-out)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


class EmailSender(Protocol):
    async def send_email(self, *, message_id: str, to: str, subject: str, body: str,
                         attachments: list[Attachment]) -> None: ...


class SmsSender(Protocol):
    async def send_sms(self, *, reference: str, to: str, text: str) -> None: ...


class WebhookSender(Protocol):
    async def post(self, *, reference: str, url: str, body: bytes, secret: str, event_type: str) -> None: ...


class OutcomePublisher(Protocol):
    async def publish(self, *, key: str, value: bytes) -> None: ...


class ZaloSender(Protocol):
    async def send_template(self, *, reference: str, phone: str, template_id: str,
                            template_data: dict[str, str]) -> str | None:
        """Send one ZNS message; Zalo's `msg_id` when it answers with one."""
        ...
