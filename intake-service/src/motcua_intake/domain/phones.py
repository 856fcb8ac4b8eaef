"""Phone numbers are compared in one national form and stored for tracking only as a keyed hash."""

import hashlib
import hmac
import re

_SEPARATORS = re.compile(r"[\s.\-()]")


def normalise_phone(raw: str) -> str:
    """`+84 912 345 678`, `84912345678` and `0912.345.678` all become `0912345678`."""
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def phone_hash(raw: str, key: bytes) -> str:
    """A keyed hash of the normalised phone: enough to check a tracking request, useless if leaked alone."""
    return hmac.new(key, normalise_phone(raw).encode(), hashlib.sha256).hexdigest()
