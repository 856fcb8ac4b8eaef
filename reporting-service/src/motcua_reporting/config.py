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
    # Each counter document is written once per batch and partition, so a backlog (an import, a restart)
    # folds in batches as big as it allows. The timeout is how long the consumer waits for a first
    # record, and then sleeps as long again when none came (FastStream): a new event waits up to that.
    batch_max_records: int = 5000
    batch_timeout_ms: int = 25
    # A rebuild folds each partition in claims of this many records (each counter document is written
    # once per claim; a claim keeps its facts until done, compressed: ~100 bytes an event).
    rebuild_claim_records: int = 10_000
    # A claim whose writer has been silent this long is applied by the next writer (it died half-way).
    claim_takeover_seconds: float = 30.0
    # How long a consumer waits for a rebuild to fold the positions before its own before going on.
    handover_wait_seconds: float = 30.0
