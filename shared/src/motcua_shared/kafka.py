"""Factories for the Kafka broker (FastStream) and producer used by every service."""

from faststream.kafka import KafkaBroker


def make_broker(bootstrap_servers: str, *, client_id: str = "motcua") -> KafkaBroker:
    """A FastStream Kafka broker whose producer is idempotent and waits for all in-sync replicas,
    so that a publish that returns has been durably acknowledged by the broker."""
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        # Fail fast when the broker is away: callers turn a timeout into 503 + Retry-After.
        request_timeout_ms=10_000,
    )
