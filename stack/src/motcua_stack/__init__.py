"""motcua's real dependencies started natively, without Docker: Apache Kafka (KRaft) from Maven
Central and a MongoDB-protocol store (mongod when on PATH, else FerretDB built from Go modules)."""

from .stack import Endpoints, ensure_running, status, stop

__all__ = ["Endpoints", "ensure_running", "status", "stop"]
