"""Prometheus metrics every motcua service exposes at `/metrics`.

They live in prometheus_client's default registry (one process = one service), so the shared
HTTP middleware, the shared consumer and the shared publish helpers record them without any
per-service code. Label values are kept few on purpose: routes are templates (`/v1/track/{code}`),
never raw paths, and nothing personal or per-dossier ever becomes a label.
"""

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

# Seconds: from a fast lookup (5 ms) to a request at the edge of its timeout (10 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def latency(name: str, documentation: str, labels: list[str]) -> Histogram:
    return Histogram(name, documentation, labels, buckets=LATENCY_BUCKETS)


HTTP_REQUESTS = Counter(
    "motcua_http_requests_total",
    "HTTP requests answered, by route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = latency(
    "motcua_http_request_duration_seconds", "Time to answer an HTTP request, by route template.", ["method", "route"]
)
EVENTS_CONSUMED = Counter(
    "motcua_events_consumed_total",
    "Records a consumer took from a topic, by outcome: applied (handler done, acknowledged), "
    "dead_lettered (invalid, sent to <topic>.dlq), failed (handler raised; it will be delivered again).",
    ["topic", "group", "event_type", "outcome"],
)
EVENT_HANDLING = latency(
    "motcua_event_handling_seconds", "Time a consumer's handler took for one event.", ["topic", "group"]
)
CONSUMER_LAG = Gauge(
    "motcua_consumer_lag",
    "Records on a partition after the one a consumer group just took (end offset - position).",
    ["topic", "partition", "group"],
)
DEAD_LETTERS = Counter(
    "motcua_dead_letters_total",
    "Records sent to a dead-letter topic, by the topic they came from.",
    ["topic", "group"],
)
EVENTS_PUBLISHED = Counter(
    "motcua_events_published_total",
    "Events the broker acknowledged, by topic and event type.",
    ["topic", "event_type"],
)
PUBLISH_FAILURES = Counter(
    "motcua_publish_failures_total",
    "Publishes that failed (nothing was reported done), by topic.",
    ["topic"],
)
NOTIFICATIONS_SENT = Counter(
    "motcua_notifications_sent_total",
    "Notifications handed over to a channel's provider, by channel.",
    ["channel"],
)
NOTIFICATIONS_FAILED = Counter(
    "motcua_notifications_failed_total",
    "Notifications a channel's provider refused or that could not be sent, by channel and reason.",
    ["channel", "reason"],
)


def record_notification_sent(channel: str) -> None:
    """Count one notification delivered to `channel`'s provider (`email`, `sms`, `webhook`, ...).
    For notification-service; every service's /metrics carries the family, only it increments it."""
    NOTIFICATIONS_SENT.labels(channel=channel).inc()


def record_notification_failed(channel: str, reason: str) -> None:
    """Count one notification that failed on `channel`. `reason` must be a short machine code from a
    small fixed set (`provider_error`, `invalid_recipient`, `timeout`, ...), never a message or address."""
    NOTIFICATIONS_FAILED.labels(channel=channel, reason=reason).inc()


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, with its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
