"""A delivery: one message to one recipient on one channel, for one event, with its history.

Its id is derived from (event, template, recipient, channel), so however often an event arrives it
names the same delivery; the store decides "once" by inserting under that id."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from motcua_shared.events import NotificationChannel

from .routing import Audience

_NAMESPACE = uuid.UUID("6f1d3b0e-8a43-4c1e-9a61-3f0f7c2d9b55")


class Status(StrEnum):
    PENDING = "pending"  # waiting for its due time (first send, a retry, or the end of quiet hours)
    SENDING = "sending"  # an attempt is under way
    SENT = "sent"  # the SMTP server or SMS gateway took it
    DELIVERED = "delivered"  # the webhook receiver answered 2xx, or Zalo accepted the ZNS message
    FAILED = "failed"  # permanent failure, or retries exhausted
    UNKNOWN = "unknown"  # the sender stopped mid-send: not sent again (at most once)
    SUPERSEDED = "superseded"  # a later event made it untrue before it went: not sent (supersession.py)


FINAL = frozenset({Status.SENT, Status.DELIVERED, Status.FAILED, Status.UNKNOWN, Status.SUPERSEDED})


def notification_id(event_id: str, template_id: str, recipient: str, channel: NotificationChannel) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{event_id}|{template_id}|{recipient}|{channel.value}"))


def normalise_recipient(channel: NotificationChannel, address: str) -> str:
    """One spelling per recipient, so `A@x.vn` and `a@x.vn ` are the same person."""
    address = address.strip()
    if channel == NotificationChannel.EMAIL:
        return address.lower()
    if channel == NotificationChannel.SMS:
        return "".join(c for c in address if c.isdigit() or c == "+")
    return address


@dataclass
class Delivery:
    cause_event_id: str
    event_type: str
    dossier_id: str
    dossier_code: str | None
    agency_code: str | None
    audience: Audience
    channel: NotificationChannel
    recipient: str
    template: str
    template_version: int
    language: str
    body: str
    due_at: datetime
    created_at: datetime
    cause_occurred_at: datetime | None = None  # when its event happened: what supersedes it is later
    subject: str | None = None
    letter_id: str | None = None  # a PDF attached to the email
    webhook_url: str | None = None
    subscription_id: str | None = None
    sms_encoding: str | None = None
    sms_segments: int | None = None
    status: Status = Status.PENDING
    attempts: list[dict[str, Any]] = field(default_factory=list)
    claim_seq: int = 0

    @property
    def id(self) -> str:
        return notification_id(self.cause_event_id, self.template, self.recipient, self.channel)
