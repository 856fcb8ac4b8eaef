"""Intake settings, from environment variables prefixed MOTCUA_INTAKE_."""

from motcua_shared.settings import ServiceSettings
from pydantic import SecretStr
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
