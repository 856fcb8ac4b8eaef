"""Webhook signatures: HMAC-SHA256 with the subscription's secret over `<timestamp>.<body>`, so a
receiver can check both who sent a call and that it is not an old one replayed."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Motcua-Signature"
TIMESTAMP_HEADER = "X-Motcua-Timestamp"
SCHEME = "sha256="


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header: `sha256=<hex digest>`."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return SCHEME + digest


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now: float, tolerance: float = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is within `tolerance` seconds."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature)
