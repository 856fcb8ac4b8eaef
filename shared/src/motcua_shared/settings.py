"""Settings shared by every service, read from the environment. Each service subclasses
`ServiceSettings` with its own env prefix (e.g. `MOTCUA_INTAKE_`) and instantiates it at its entry point."""

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .topics import Topics


class ServiceSettings(BaseSettings):
    # hide_input_in_errors: a settings error must not print the secrets it was given.
    model_config = SettingsConfigDict(env_prefix="MOTCUA_", extra="ignore", hide_input_in_errors=True)

    service_name: str = "motcua"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prepended to every contract topic; empty in production, unique per test run.
    topic_prefix: str = ""
    mongodb_url: str = "mongodb://127.0.0.1:27017"
    mongodb_database: str = "motcua"
    # Connections to the store at most (FerretDB's pool is sized from it: motcua_shared.mongo).
    mongodb_max_pool_size: int = Field(10, ge=1, le=200)
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"

    # Bearer tokens: HS256 with a shared secret for local use, RS256 with a JWKS URL in production.
    # The default secret is for a developer's machine only; deployments set their own.
    jwt_secret: SecretStr = SecretStr("motcua-local-development-secret-change-me")
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "motcua"
    jwt_audience: str = "motcua"

    # The kind of deployment, from MOTCUA_ENV (one variable for every service, without its prefix).
    environment: Literal["development", "production"] = Field("development", validation_alias="MOTCUA_ENV")

    @model_validator(mode="after")
    def _no_development_secret_in_production(self) -> Self:
        """In production, refuse to start while a secret still has its development default (which is
        in the public repository): a forgotten variable must stop the service, not weaken it."""
        if self.environment != "production":
            return self
        left = [
            name
            for name, field in type(self).model_fields.items()
            if isinstance(field.default, SecretStr)
            and getattr(self, name) == field.default
            # With a JWKS URL the HS256 secret is never used.
            and not (name == "jwt_secret" and self.jwt_jwks_url)
        ]
        if left:
            names = ", ".join(f"{self.model_config.get('env_prefix', '')}{n}".upper() for n in left)
            raise ValueError(f"MOTCUA_ENV=production but these secrets have their development defaults: {names}")
        return self

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)


class DecidingServiceSettings(ServiceSettings):
    """Settings of a service that decides on its view of the dossiers, folded from the topics, and
    publishes what it decides (intake, processing): each with its own prefix, e.g.
    MOTCUA_PROCESSING_VIEW_WAIT_SECONDS."""

    # Every instance of the service shares one group, so each event is folded once per deployment.
    consumer_group: str = "motcua"
    # What the broker has not acknowledged within this time is dropped and the request answered 503.
    publish_timeout_seconds: float = 8.0
    # Retry-After given with 503 broker_unavailable.
    retry_after_seconds: int = 5
    # How long a request holding an Idempotency-Key is presumed alive before a retry may take over.
    idempotency_lease_seconds: float = Field(30.0, gt=0)
    # How long a request waits for the view to fold what was published before it (an import, the other
    # service's decisions); then 503 view_behind, never a 404/409 that is only the view's lag.
    view_wait_seconds: float = Field(5.0, ge=0)
    # /ready says `degraded` while the consumers have more events than this still to fold.
    ready_max_lag: int = Field(1000, ge=0)
