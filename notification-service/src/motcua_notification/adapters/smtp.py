"""Email over SMTP with aiosmtplib. A server that is away or answers 4xx is a transient failure (the
message is retried later); a 5xx (an address refused, say) is permanent."""

import email.policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from ..service_layer.ports import Attachment, SendError

# Python's header folding drops the space at a fold between two encoded words, so a long Vietnamese
# subject would read "trảkết". Lines up to SMTP's limit of 998 are never folded (a subject is short).
# aiosmtplib flattens with its own policy, so the message is flattened here and sent as bytes.
_POLICY = email.policy.SMTP.clone(max_line_length=998)


class SmtpEmailSender:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self._host, self._port, self._sender = host, port, sender
        self._username, self._password = username, password
        self._use_tls, self._start_tls, self._timeout = use_tls, start_tls, timeout

    async def send_email(
        self, *, message_id: str, to: str, subject: str, body: str, attachments: list[Attachment]
    ) -> None:
        message = EmailMessage(policy=_POLICY)
        message["From"] = self._sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        # The delivery's id: a receiving system may use it to drop a duplicate.
        message["Message-ID"] = f"<{message_id}@motcua.notification>"
        message.set_content(body)
        for attachment in attachments:
            maintype, subtype = attachment.mime_type.split("/", 1)
            message.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)
        try:
            await aiosmtplib.send(
                message.as_bytes(policy=_POLICY),
                sender=_address(self._sender),
                recipients=[to],
                hostname=self._host,
                port=self._port,
                username=self._username,
                password=self._password,
                use_tls=self._use_tls,
                start_tls=self._start_tls,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise SendError(f"recipient refused: {exc}", permanent=all(c >= 500 for c in codes)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise SendError(f"SMTP {exc.code}: {exc.message}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendError(f"SMTP server unreachable: {exc!r}", permanent=False) from exc


def _address(mailbox: str) -> str:
    """`motcua@localhost` out of `Trung tâm … <motcua@localhost>`, for the SMTP envelope."""
    return parseaddr(mailbox)[1] or mailbox
