"""Reporting settings, from environment variables prefixed MOTCUA_REPORTING_."""

from pydantic_settings import SettingsConfigDict

from motcua_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_REPORTING_", extra="ignore")

    service_name: str = "reporting-service"
    http_port: int = 8004
