"""bench/import_quarter.py's choices that decide whether a second import is a new quarter at all."""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import import_quarter  # noqa: E402  (a script beside its helpers, not a package)
from motcua_stack import demo  # noqa: E402


def test_each_import_takes_a_seed_no_earlier_import_took_so_its_events_are_new() -> None:
    """Ids come from the seed alone: a second import with the first one's seed would publish the same
    events again, and every service would rightly fold them once (found when a second quarter counted 0)."""
    assert import_quarter.choose_seed(None, []) == import_quarter.FIRST_SEED
    earlier = [{"_id": "quarter::3:8000:2026-05-01:2026-08-01", "seed": 3}, {"_id": "quarter::4:…", "seed": 4}]
    assert import_quarter.choose_seed(None, earlier) == 5
    assert import_quarter.choose_seed(9, earlier) == 9
    with pytest.raises(import_quarter.Failed, match="--seed 4 was used"):
        import_quarter.choose_seed(4, earlier)
    with pytest.raises(import_quarter.Failed):
        import_quarter.choose_seed(demo.SEED, [])


def test_the_cost_per_event_of_a_tenth_is_the_service_cpu_spent_while_it_was_folded() -> None:
    group = import_quarter.Group(service=None, name="g")  # type: ignore[arg-type]
    # (seconds, committed, left) with the service's CPU seconds: 1,000 events, a tenth is 100.
    for at, committed, cpu in [(0, 0, 10.0), (1, 100, 10.5), (2, 900, 12.0), (3, 1000, 12.1)]:
        group.samples.append((at, committed, 1000 - committed))
        group.cpu.append(cpu)
    group.caught_up_s = 3
    first, last = import_quarter.cpu_per_event(group, 1000)
    assert first == pytest.approx(5.0)  # 0.5 s over the first 100 events
    assert last == pytest.approx(1.0)  # 0.1 s over the last 100
