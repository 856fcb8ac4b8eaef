"""Notification settings, from environment variables prefixed MOTCUA_NOTIFICATION_."""

from pydantic_settings import SettingsConfigDict

from motcua_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_NOTIFICATION_", extra="ignore")

    service_name: str = "notification-service"
    http_port: int = 8003
