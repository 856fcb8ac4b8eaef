"""Processing settings, from environment variables prefixed MOTCUA_PROCESSING_."""

from pydantic_settings import SettingsConfigDict

from motcua_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_PROCESSING_", extra="ignore")

    service_name: str = "processing-service"
    http_port: int = 8002
