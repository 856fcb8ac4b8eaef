"""Request and response bodies, named by role (…Public, …Create, …Update)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, HttpUrl


class AttemptPublic(BaseModel):
    number: int
    outcome: str  # sent · delivered · failed · unknown
    error: str | None = None
    permanent: bool | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    retry_at: datetime | None = None
    provider_message_id: str | None = None  # Zalo's msg_id of a ZNS message it accepted


class SupersededByPublic(BaseModel):
    """The later event that made a message untrue before it went, so it was not sent."""

    event_id: str
    event_type: str
    occurred_at: datetime


class NotificationPublic(BaseModel):
    notification_id: str
    cause_event_id: str
    event_type: str
    audience: str
    channel: str
    recipient: str
    template: str
    template_version: int
    language: str
    subject: str | None = None
    body: str
    status: str  # pending · sending · sent · delivered · failed · unknown · superseded
    due_at: datetime
    created_at: datetime
    finished_at: datetime | None = None
    sms_encoding: str | None = None
    sms_segments: int | None = None
    letter_id: str | None = None
    superseded_by: SupersededByPublic | None = None
    attempts: list[AttemptPublic]


class NotificationsPublic(BaseModel):
    data: list[NotificationPublic]
    count: int


class TemplateText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(min_length=1, max_length=5000)


class TemplatePublic(BaseModel):
    id: str
    event_type: str
    channel: str
    version: int
    placeholders: list[str]  # the placeholders this template may use
    texts: dict[str, TemplateText]


class TemplatesPublic(BaseModel):
    data: list[TemplatePublic]
    count: int


class TemplateUpdate(BaseModel):
    """A new version of a template: the Vietnamese text is required, the English one optional
    (readers of English get the Vietnamese text when it is missing)."""

    model_config = ConfigDict(extra="forbid")

    vi: TemplateText
    en: TemplateText | None = None


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl
    event_types: list[str] = Field(min_length=1, max_length=50)
    # Omit to have one generated; it is shown only in the answer to this request.
    secret: str | None = Field(default=None, min_length=16, max_length=200)


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class AgencyContactsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emails: list[EmailStr] = Field(min_length=1, max_length=20)
    language: Literal["vi", "en"] = "vi"


class AgencyContactsPublic(BaseModel):
    agency_code: str
    emails: list[str]
    language: str
    updated_at: datetime | None = None
    updated_by: str | None = None
