"""Intake settings, from environment variables prefixed MOTCUA_INTAKE_."""

from motcua_shared.settings import ServiceSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_INTAKE_", extra="ignore")

    service_name: str = "intake-service"
    http_port: int = 8001
    # Every intake instance shares one group, so each event is folded once per deployment.
    consumer_group: str = "intake-service"
    # Key of the HMAC under which applicants' phones are kept for tracking; set per deployment.
    phone_hash_secret: SecretStr = SecretStr("motcua-local-phone-hash-key-change-me")
    # A batch the broker has not acknowledged within this time is dropped and the request gets 503.
    publish_timeout_seconds: float = 8.0
    # How long a request holding an Idempotency-Key is presumed alive before a retry may take over.
    idempotency_lease_seconds: float = 30.0
    # Retry-After given with 503 broker_unavailable.
    retry_after_seconds: int = 5
    # Where applicants reach intake: the receipt's tracking link is {public_base_url}/track?code=….
    public_base_url: str = "http://127.0.0.1:8001"
    # Failed tracking attempts (unknown code or wrong phone) allowed per dossier code and per client
    # within the window; then 429 too_many_attempts. Kept in each instance's memory.
    tracking_failures_per_code: int = Field(5, ge=1)
    tracking_failures_per_client: int = Field(20, ge=1)
    tracking_window_seconds: float = Field(900.0, gt=0)
    # How long an applicant's action or a tracking request waits for intake's view to fold what was
    # published before it (an import, processing's decisions); then 503 view_behind, never a 409/404
    # that is only the view's lag.
    view_wait_seconds: float = Field(5.0, ge=0)
    # /ready says `degraded` while the consumers have more events than this still to fold.
    ready_max_lag: int = Field(1000, ge=0)
