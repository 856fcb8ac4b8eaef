"""Where a notification-service process sends, in the test process: a real SMTP server and a real
HTTP receiver (SMS gateway, webhooks), both counting what really arrived. The servers themselves are
notification's test helpers (tests/integration/test_notification_support.py); this adds the
service's settings that point at them and what the fault tests count."""

import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_notification_support import HttpReceiver, SmtpSink, http_receiver, smtp_sink

__all__ = ["HttpReceiver", "SmtpSink", "http_receiver", "notification_env", "sent_twice", "smtp_sink"]

SMS_PATH = "/sms"
WEBHOOK_PATH = "/hooks"


def notification_env(smtp: SmtpSink, gateway: HttpReceiver) -> dict[str, str]:
    """MOTCUA_NOTIFICATION_* settings: our receivers, fast retries, a short lease, no SMS quiet hours."""
    values: dict[str, Any] = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "SMS_GATEWAY_URL": gateway.url(SMS_PATH),
        "RETRY_BASE_SECONDS": 0.2,
        "RETRY_CAP_SECONDS": 1.0,
        "DISPATCHER_INTERVAL_SECONDS": 0.2,
        "SENDING_LEASE_SECONDS": 2,
        "SEND_TIMEOUT_SECONDS": 5,
        "SMS_QUIET_START": "00:00",
        "SMS_QUIET_END": "00:00",
    }
    return {f"MOTCUA_NOTIFICATION_{key}": str(value) for key, value in values.items()}


def sent_twice(smtp: SmtpSink, gateway: HttpReceiver) -> dict[str, list[Any]]:
    """Everything that arrived more than once: the same SMS (by reference, and by recipient and text),
    the same webhook (by notification id, and by event and URL), the same email (recipient, subject, body)."""
    sms = [r.json() for r in gateway.at(SMS_PATH)]
    hooks = gateway.at(WEBHOOK_PATH)
    mails = [(m["To"], m["Subject"], m.get_body(preferencelist=("plain", "html")).get_content()) for m in smtp.inbox]
    counts = {
        "sms by reference": Counter(s["reference"] for s in sms),
        "sms by recipient and text": Counter((s["to"], s["text"]) for s in sms),
        "webhook by notification": Counter(h.headers.get("x-motcua-notification-id") for h in hooks),
        "webhook by event": Counter((h.json()["event_id"], h.path) for h in hooks),
        "email": Counter(mails),
    }
    return {
        name: [key for key, n in counter.items() if n > 1]
        for name, counter in counts.items()
        if any(n > 1 for n in counter.values())
    }
