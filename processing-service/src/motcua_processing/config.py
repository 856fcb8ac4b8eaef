"""Processing settings, from environment variables prefixed MOTCUA_PROCESSING_."""

from decimal import Decimal

from motcua_shared.settings import ServiceSettings
from pydantic import Field
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_PROCESSING_", extra="ignore")

    service_name: str = "processing-service"
    http_port: int = 8002
    mongodb_database: str = "motcua_processing"
    # Every processing instance shares one group, so each event is folded once per deployment.
    consumer_group: str = "processing-service"
    # An action the broker has not acknowledged within this time is answered 503 and dropped.
    publish_timeout_seconds: float = 8.0
    retry_after_seconds: int = 5
    # How long an action holding an Idempotency-Key is presumed alive before a retry may take over.
    idempotency_lease_seconds: float = Field(30.0, gt=0)
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
    # How long reading a dossier, or an officer's action, waits for processing's view to fold what was
    # published before it when the view does not know the dossier or refuses the action; then 503
    # view_behind, never a 404/409 that is only the view's lag.
    view_wait_seconds: float = Field(5.0, ge=0)
    # /ready says `degraded` while the consumers have more events than this still to fold.
    ready_max_lag: int = Field(1000, ge=0)
