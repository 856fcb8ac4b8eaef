"""bench/_cpu.py: a step's CPU split by process is taken from /proc, so a process that works is seen
in its own group, one that sleeps is not, and this process counts as the load generator."""

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import _cpu  # noqa: E402  (a script's helper beside it, not a package)

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads /proc (Linux)")


def _spin(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


def test_each_group_is_charged_what_its_processes_used() -> None:
    marker = uuid.uuid4().hex  # on the command lines of this test's processes only
    busy = "import time\nuntil = time.process_time() + 0.6\nwhile time.process_time() < until: pass\ntime.sleep(30)"
    idle = "import time; time.sleep(30)"
    apps = {"worker": re.compile(f"worker-{marker}"), "sleeper": re.compile(f"sleeper-{marker}")}
    sleeper = subprocess.Popen([sys.executable, "-c", idle, f"sleeper-{marker}"])
    worker = None
    try:
        before = _cpu.snapshot(apps)
        worker = subprocess.Popen([sys.executable, "-c", busy, f"worker-{marker}"])
        _spin(0.3)  # the generator's own work
        time.sleep(2.5)  # the worker's spin is over, and it still lives
        after = _cpu.snapshot(apps)
    finally:
        for process in (sleeper, worker):
            if process is not None:
                process.kill()
                process.wait()
    assert before is not None and after is not None
    split = _cpu.per_request_ms(before, after, requests=10)

    assert split["worker"] >= 50  # 0.6 s (less the interpreter's start) over 10 requests
    assert split["sleeper"] < 5
    assert split[_cpu.GENERATOR] >= 25
    assert split[_cpu.MACHINE] >= split["worker"] + split[_cpu.GENERATOR] - 5


def test_a_split_row_gives_the_apps_first_then_what_they_share() -> None:
    split = {"intake": 5.123, "store": 2.0, "kafka": 0.5, _cpu.GENERATOR: 0.6, _cpu.MACHINE: 9.0}
    assert _cpu.split_row(["intake"], split) == ["5.12", "2.00", "0.50", "0.60", "9.00"]
    assert _cpu.SHARED_COLUMNS == ["store", "kafka", "generator", "machine"]
    assert _cpu.split_row(["echo", "intake"], split)[:2] == ["-", "5.12"]  # no figure for a process not seen
