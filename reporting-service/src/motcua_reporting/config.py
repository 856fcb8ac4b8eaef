"""Reporting settings, from environment variables prefixed MOTCUA_REPORTING_."""

from motcua_shared.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_REPORTING_", extra="ignore")

    service_name: str = "reporting-service"
    http_port: int = 8004
    consumer_group: str = "reporting"
    # How long the consumer trusts its idea of the active read-model generation (a rebuild waits longer
    # than this before its final catch-up, so no event is folded only into the old generation).
    generation_ttl_seconds: float = 1.0
