"""Intake settings, from environment variables prefixed MOTCUA_INTAKE_."""

from pydantic_settings import SettingsConfigDict

from motcua_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_INTAKE_", extra="ignore")

    service_name: str = "intake-service"
    http_port: int = 8001
