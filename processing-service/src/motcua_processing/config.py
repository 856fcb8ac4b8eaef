"""Processing settings, from environment variables prefixed MOTCUA_PROCESSING_."""

from decimal import Decimal

from motcua_shared.settings import DecidingServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class Settings(DecidingServiceSettings):
    """Besides the shared ones (motcua_shared.settings: the publish timeout, Retry-After, the
    Idempotency-Key lease, the view's wait and /ready's lag)."""

    model_config = SettingsConfigDict(env_prefix="MOTCUA_PROCESSING_", extra="ignore")

    service_name: str = "processing-service"
    http_port: int = 8002
    mongodb_database: str = "motcua_processing"
    consumer_group: str = "processing-service"
    # Dossier events are folded in batches of up to this many records (one bulk read, bulk writes;
    # consumers.py), waiting at most this long for a batch to fill.
    batch_max_records: int = Field(500, ge=1)
    batch_timeout_ms: int = Field(200, ge=0)
    # The clock: how often it looks for due-soon and overdue dossiers, and how early it warns.
    scheduler_enabled: bool = True
    scheduler_interval_seconds: float = 30.0
    due_soon_working_hours: float = 8.0
    # Issue 18: the time an applicant has to hand in papers asked for, when neither the officer nor the
    # procedure (`supplement_time`) gives one; how early the applicant is reminded; after how many
    # working days a result ready and not returned is announced uncollected.
    supplement_working_days: Decimal = Field(Decimal(15), gt=0)
    supplement_reminder_working_days: float = Field(2.0, ge=0)
    uncollected_after_days: float = Field(5.0, gt=0)
    # A claim to announce (overdue, due soon) not marked published after this long is taken over:
    # its holder is presumed dead between claim and publish.
    announcement_lease_seconds: float = 60.0
