"""motcua natively, without Docker: Apache Kafka (KRaft) from Maven Central, a MongoDB-protocol store
(mongod when on PATH, else FerretDB built from Go modules), the four services as processes, the demo
data and the load generator (`motcua-stack up | down | status | load`)."""

from .stack import Endpoints, ensure_running, status, stop, up

__all__ = ["Endpoints", "ensure_running", "status", "stop", "up"]
