"""Intake's count of failed tracking attempts, on a clock the test moves."""

from motcua_intake.adapters.failed_attempts import FailedAttempts
from motcua_intake.domain.tracking import tracking_page_url


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempts(clock: Clock, **overrides: int) -> FailedAttempts:
    limits = {"per_code": 3, "per_client": 5, **overrides}
    return FailedAttempts(window_seconds=60, clock=clock, **limits)  # type: ignore[arg-type]


def test_a_code_is_closed_after_its_limit_until_the_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    counted = attempts(clock)
    for step in range(3):
        assert counted.wait(client="a", code="X-1") is None
        counted.failed(client=f"client-{step}", code="X-1")
        clock.now += 10
    assert counted.wait(client="anyone", code="X-1") == 30  # the first failure, at 1000, leaves at 1060
    assert counted.wait(client="anyone", code="X-2") is None
    clock.now = 1060
    assert counted.wait(client="anyone", code="X-1") is None


def test_a_client_is_closed_after_its_limit_whatever_the_codes() -> None:
    clock = Clock()
    counted = attempts(clock)
    for n in range(5):
        counted.failed(client="a", code=f"X-{n}")
    clock.now += 0.5
    assert counted.wait(client="a", code="X-99") == 60  # rounded up, never 0
    assert counted.wait(client="b", code="X-99") is None


def test_memory_stays_bounded() -> None:
    clock = Clock()
    counted = FailedAttempts(per_code=3, per_client=3, window_seconds=60, clock=clock, max_keys=100)
    for n in range(1000):
        counted.failed(client=f"c{n}", code=f"X-{n}")
    assert len(counted._failures) <= 100
    clock.now += 61
    counted.failed(client="late", code="X-late")
    assert len(counted._failures) == 2


def test_the_tracking_link_fills_in_the_code() -> None:
    assert (
        tracking_page_url("https://motcua.example.vn/", "STNMT-260105-0007")
        == "https://motcua.example.vn/track?code=STNMT-260105-0007"
    )
    assert tracking_page_url("http://127.0.0.1:8001", "A B") == "http://127.0.0.1:8001/track?code=A+B"
