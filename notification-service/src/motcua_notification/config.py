"""Notification settings, from environment variables prefixed MOTCUA_NOTIFICATION_.

The defaults are safe on a developer's machine: mail goes to 127.0.0.1:1025 (a local debugging SMTP
server such as `python -m aiosmtpd -n`), SMS to a gateway on 127.0.0.1, and Zalo is off until an
access token and its templates are given; nothing leaves the machine."""

from datetime import time
from pathlib import Path
from typing import Any

from motcua_shared.settings import ServiceSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_NOTIFICATION_", extra="ignore")

    service_name: str = "notification-service"
    http_port: int = 8003
    mongodb_database: str = "motcua_notification"
    # Every notification instance shares one group: each event is considered once per deployment.
    consumer_group: str = "notification-service"
    # Dossier events are folded in batches of up to this many records (one read, one insert; consumers.py).
    batch_max_records: int = 500
    batch_timeout_ms: int = 200

    # Email (SMTP).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_use_tls: bool = False  # implicit TLS (port 465)
    smtp_start_tls: bool = False
    mail_from: str = "Trung tâm Phục vụ hành chính công <motcua@localhost>"

    # SMS through an HTTP gateway.
    sms_gateway_url: str = "http://127.0.0.1:9090/sms"
    sms_gateway_token: SecretStr | None = None
    sms_sender_id: str = "MOTCUA"
    # Send Vietnamese without diacritics: GSM-7, 160 characters a segment instead of 70.
    sms_without_diacritics: bool = False
    # No SMS between these local times (Asia/Ho_Chi_Minh); they wait until the end.
    sms_quiet_start: time = time(21, 0)
    sms_quiet_end: time = time(7, 0)
    timezone: str = "Asia/Ho_Chi_Minh"

    # Zalo: ZNS template messages through Zalo's official API, to applicants who consented at intake.
    # Off unless an access token (the Official Account's, never in the repository) and templates are set.
    zalo_api_url: str = "https://business.openapi.zalo.me/message/template"
    zalo_access_token: SecretStr | None = None
    # {kind: {"template_id", "parameters": {ZNS parameter: placeholder or {"placeholder", "max_length"}},
    #  "language"?}}, e.g. {"applicant.accepted": {"template_id": "123456", "parameters": {...}}}.
    zalo_templates: dict[str, dict[str, Any]] = Field(default_factory=dict)
    zalo_templates_file: Path | None = None  # the same table in a JSON file; entries of zalo_templates win

    # Intake's public tracking page: `{portal_url}` in a message is this page with the dossier's code filled in.
    portal_url: str = "http://127.0.0.1:8001/track"

    # Reliability.
    freshness_hours: float = 24.0  # events older than this (by occurred_at) notify nobody
    send_timeout_seconds: float = 15.0
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    max_attempts: int = 8
    # A send still "in progress" after this long was cut off by a crash: marked unknown, not resent.
    sending_lease_seconds: float = 120.0
    dispatcher_enabled: bool = True
    dispatcher_interval_seconds: float = 5.0
