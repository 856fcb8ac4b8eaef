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
    # Dossier events are folded in batches of up to this many records (bulk writes; see consumers.py).
    batch_max_records: int = 500
    batch_timeout_ms: int = 200
    # A claim whose writer has been silent this long is applied by the next writer (it died half-way).
    claim_takeover_seconds: float = 30.0
    # How long a consumer waits for a rebuild to fold the positions before its own before going on.
    handover_wait_seconds: float = 30.0
