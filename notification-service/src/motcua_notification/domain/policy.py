"""When a message may go out: fresh events only, SMS outside quiet hours, retries spaced out."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_fresh(occurred_at: datetime, now: datetime, window: timedelta) -> bool:
    """An event older than `window` (replayed or imported history) must reach nobody."""
    return now - occurred_at <= window


@dataclass(frozen=True)
class QuietHours:
    """A daily span (in `zone`) when no SMS is sent; `start` after `end` means it spans midnight."""

    start: time
    end: time
    zone: ZoneInfo

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, at: datetime) -> datetime:
        """`at` itself outside quiet hours, otherwise the morning they end."""
        if not self.contains(at):
            return at
        local = at.astimezone(self.zone)
        morning = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if morning <= local:
            morning += timedelta(days=1)
        return morning


@dataclass(frozen=True)
class Backoff:
    """Exponential spacing of retries: base, 2·base, 4·base, … never more than `cap`, and at most
    `max_attempts` sends in all."""

    base: timedelta
    cap: timedelta
    max_attempts: int

    def delay_after(self, attempt: int) -> timedelta:
        """Wait after failed attempt number `attempt` (1-based)."""
        return min(self.cap, self.base * (1 << (attempt - 1)))

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
