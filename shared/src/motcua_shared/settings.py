"""Settings shared by every service, read from the environment. Each service subclasses
`ServiceSettings` with its own env prefix (e.g. `MOTCUA_INTAKE_`) and instantiates it at its entry point."""

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .topics import Topics


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOTCUA_", extra="ignore")

    service_name: str = "motcua"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prepended to every contract topic; empty in production, unique per test run.
    topic_prefix: str = ""
    mongodb_url: str = "mongodb://127.0.0.1:27017"
    mongodb_database: str = "motcua"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"

    # Bearer tokens: HS256 with a shared secret for local use, RS256 with a JWKS URL in production.
    # The default secret is for a developer's machine only; deployments set their own.
    jwt_secret: SecretStr = SecretStr("motcua-local-development-secret-change-me")
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "motcua"
    jwt_audience: str = "motcua"

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)
