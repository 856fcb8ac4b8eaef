"""Notification outcomes, published on `notification.events` keyed by notification id.

CONTRACT.md fixes the topic and the outcomes (sent, delivered, failed); the fields are ours."""

from enum import StrEnum
from typing import Literal

from pydantic import Field

from .envelope import Envelope, Payload


class NotificationChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"
    ZALO = "zalo"  # addition: a ZNS template message through Zalo's official API


class NotificationOutcome(Payload):
    notification_id: str = Field(min_length=1)
    channel: NotificationChannel
    template: str = Field(min_length=1)
    # The event that caused the notification, and its dossier, when there is one.
    cause_event_id: str | None = None
    dossier_code: str | None = None
    attempt: int = Field(default=1, ge=1)


class NotificationFailedData(NotificationOutcome):
    reason: str = Field(min_length=1)
    permanent: bool


class NotificationSent(Envelope):
    event_type: Literal["notification.sent"] = "notification.sent"
    data: NotificationOutcome


class NotificationDelivered(Envelope):
    event_type: Literal["notification.delivered"] = "notification.delivered"
    data: NotificationOutcome


class NotificationFailed(Envelope):
    event_type: Literal["notification.failed"] = "notification.failed"
    data: NotificationFailedData


NOTIFICATION_EVENT_TYPES: tuple[type[Envelope], ...] = (
    NotificationSent,
    NotificationDelivered,
    NotificationFailed,
)
