"""Intake settings, from environment variables prefixed MOTCUA_INTAKE_."""

from motcua_shared.settings import DecidingServiceSettings
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict


# The publish timeout, Retry-After, the Idempotency-Key lease, the view's wait and /ready's lag are
# DecidingServiceSettings' (motcua_shared.settings), read with this prefix.
class Settings(DecidingServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_INTAKE_", extra="ignore")

    service_name: str = "intake-service"
    http_port: int = 8001
    # Every intake instance shares one group, so each event is folded once per deployment.
    consumer_group: str = "intake-service"
    # Key of the HMAC under which applicants' phones are kept for tracking; set per deployment.
    phone_hash_secret: SecretStr = SecretStr("motcua-local-phone-hash-key-change-me")
    # Where applicants reach intake: the receipt's tracking link is {public_base_url}/track?code=….
    public_base_url: str = "http://127.0.0.1:8001"
    # Failed tracking attempts (unknown code or wrong phone) allowed per dossier code and per client
    # within the window; then 429 too_many_attempts. Kept in each instance's memory.
    tracking_failures_per_code: int = Field(5, ge=1)
    tracking_failures_per_client: int = Field(20, ge=1)
    tracking_window_seconds: float = Field(900.0, gt=0)
