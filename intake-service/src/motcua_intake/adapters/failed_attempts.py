"""Failed tracking attempts (an unknown code or a wrong phone), per dossier code and per client, in a
sliding window, kept in this process's memory.

Why the limits: dossier codes are sequential and a wrong phone is answered like an unknown code, so
without them anyone could walk the codes or try phone numbers against one. Per code, so that a
code cannot be guessed at from many addresses; per client, so that one caller cannot walk the codes.

Each intake instance keeps its own counts (docs/configuration.md says so): a caller spread over N
instances gets at most N times the limits. Memory stays bounded: at most `max_keys` codes and
clients are kept, the longest idle going first."""

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

_MAX_KEYS = 100_000


class FailedAttempts:
    def __init__(
        self,
        *,
        per_code: int,
        per_client: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = _MAX_KEYS,
    ) -> None:
        self._limits = {"code": per_code, "client": per_client}
        self._window = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        # (kind, value) -> times of its latest failures, at most its limit (older ones no longer
        # decide anything); the key that failed longest ago first.
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def wait(self, *, client: str, code: str) -> int | None:
        """Whole seconds before `client` may try `code` again, or None when it may now."""
        now = self._clock()
        waits = [w for w in (self._wait(("code", code), now), self._wait(("client", client), now)) if w is not None]
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, *, client: str, code: str) -> None:
        """Count a failed attempt against both the code and the client."""
        now = self._clock()
        for key in (("code", code), ("client", client)):
            times = self._failures.pop(key, None) or deque(maxlen=self._limits[key[0]])
            times.append(now)
            self._failures[key] = times
        self._forget_idle(now)

    def _wait(self, key: tuple[str, str], now: float) -> float | None:
        times = self._failures.get(key)
        if times is None or len(times) < self._limits[key[0]]:
            return None
        # Full: the next attempt is allowed once the oldest of the kept failures leaves the window.
        remaining = times[0] + self._window - now
        return remaining if remaining > 0 else None

    def _forget_idle(self, now: float) -> None:
        while self._failures:
            key, times = next(iter(self._failures.items()))
            if times[-1] > now - self._window and len(self._failures) <= self._max_keys:
                return
            del self._failures[key]
