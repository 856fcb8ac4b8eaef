"""An open-loop load generator at a fixed offered rate, percentiles, and the table every benchmark prints.

Open loop: the i-th request of a step is due at `start + i / rate`, whatever happened to the earlier
ones, and its latency runs from that due time, not from when it was actually sent. A closed loop (send
the next request when one completes) slows down exactly when the server does, and so hides the waiting
a real caller would suffer (coordinated omission). If the generator itself falls behind, the lateness
counts against the server's latency too: the figures are then an upper bound, never flattering."""

import argparse
import asyncio
import math
import os
import platform
import re
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What a request reports back: an HTTP status, or the name of what went wrong instead.
Outcome = int | str
Request = Callable[[int], Awaitable[Outcome]]

MAX_ERROR_RATE = 0.01


@dataclass(frozen=True)
class Sample:
    due: float  # loop time the request was scheduled for
    done: float  # loop time its answer arrived (or it failed)
    outcome: Outcome
    sent: float | None = None  # loop time the generator actually started it (None: not recorded)

    @property
    def latency(self) -> float:
        return self.done - self.due

    @property
    def lag(self) -> float:
        """How late the generator itself started the request: when this grows, the figure is the generator's."""
        return 0.0 if self.sent is None else max(0.0, self.sent - self.due)

    @property
    def ok(self) -> bool:
        return isinstance(self.outcome, int) and 200 <= self.outcome < 300


@dataclass
class Step:
    """The result of one step: every request offered at `rate` per second for `duration` seconds."""

    label: str
    rate: float
    duration: float
    samples: list[Sample] = field(default_factory=list)
    # Latencies measured otherwise than request-by-request (submit-to-summary); None = from samples.
    latencies: list[float] | None = None
    extra_errors: Counter[str] = field(default_factory=Counter)
    # Stopped early by open_loop(give_up_over=...): it could no longer hold; the rest were not offered.
    abandoned: bool = False

    @property
    def ok(self) -> int:
        return sum(1 for s in self.samples if s.ok) - sum(self.extra_errors.values())

    @property
    def errors(self) -> Counter[str]:
        counts = Counter(str(s.outcome) for s in self.samples if not s.ok)
        counts.update(self.extra_errors)
        return counts

    @property
    def offered(self) -> int:
        return len(self.samples)

    @property
    def error_rate(self) -> float:
        return sum(self.errors.values()) / self.offered if self.offered else 0.0

    @property
    def achieved_rate(self) -> float:
        """Successful answers per second, over the time from the first due request to the last answer."""
        if not self.samples:
            return 0.0
        start = min(s.due for s in self.samples)
        end = max(s.done for s in self.samples)
        return sum(1 for s in self.samples if s.ok) / max(end - start, self.duration)

    def ok_latencies(self) -> list[float]:
        if self.latencies is not None:
            return self.latencies
        return [s.latency for s in self.samples if s.ok]

    def p99(self) -> float:
        """p99 latency of the successful requests in seconds (NaN when none succeeded)."""
        return percentile(self.ok_latencies(), 99)

    def lag_p99(self) -> float:
        return percentile([s.lag for s in self.samples], 99)


async def open_loop(
    label: str,
    rate: float,
    duration: float,
    request: Request,
    *,
    answer_within: float = 30.0,
    give_up_over: float | None = None,
) -> Step:
    """Offer `request(i)` at `rate` per second for `duration` seconds; wait (up to `answer_within` seconds after the
    last one is due) for every answer. A request still unanswered then counts as a `timeout`.

    `give_up_over` (seconds, for a ceiling search): stop the step as soon as more than 2% of its requests
    are slower than that or failed (answered so, or still unanswered that long after their due time). Each
    of those ends as an error or as a successful answer slower than the limit, so the step could no longer
    hold p99 <= limit with <= 1% errors; offering the rest would only pile work on an overloaded server.
    The requests still in flight are then cancelled and count as `abandoned`."""
    loop = asyncio.get_running_loop()
    count = max(1, round(rate * duration))
    step = Step(label, rate, duration)
    start = loop.time() + 0.05
    in_flight: dict[asyncio.Task[None], float] = {}
    bad = 0  # answered requests that failed or were slower than give_up_over

    async def one(i: int, due: float) -> None:
        nonlocal bad
        sent = loop.time()
        try:
            outcome: Outcome = await request(i)
        except Exception as exc:  # a refused connection, a reset, a client timeout: all count as errors
            outcome = type(exc).__name__
        sample = Sample(due, loop.time(), outcome, sent)
        step.samples.append(sample)
        if give_up_over is not None and (not sample.ok or sample.latency > give_up_over):
            bad += 1

    def hopeless() -> bool:
        if give_up_over is None:
            return False
        overdue = loop.time() - give_up_over
        late = sum(1 for task, due in in_flight.items() if due < overdue and not task.done())
        return bad + late > 0.02 * count

    def forget(task: asyncio.Task[None]) -> None:
        in_flight.pop(task, None)

    tasks = []
    checked = loop.time()
    for i in range(count):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(i, due))
        in_flight[task] = due
        task.add_done_callback(forget)
        tasks.append(task)
        if loop.time() - checked > 0.1:
            checked = loop.time()
            if hopeless():
                step.abandoned = True
                break
    pending: set[asyncio.Task[None]] = set()
    if tasks and not step.abandoned:
        deadline = loop.time() + answer_within
        pending = {t for t in tasks if not t.done()}
        while pending and loop.time() < deadline and not hopeless():
            _, pending = await asyncio.wait(pending, timeout=min(0.1, max(0.0, deadline - loop.time())))
        if pending and loop.time() < deadline:
            step.abandoned = True
    else:
        pending = {t for t in tasks if not t.done()}
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    now = loop.time()
    # A cancelled request's task records nothing (CancelledError is not an Exception): count it here.
    lost = "abandoned" if step.abandoned else "timeout"
    step.samples.extend(Sample(now, now, lost) for _ in range(len(tasks) - len(step.samples)))
    return step


@dataclass(frozen=True)
class Limit:
    """What a rate must hold to count: p99 of the successful answers within `p99` seconds, at most
    `error_rate` of the requests failed (issue 16: 100 ms, 1%)."""

    p99: float = 0.100
    error_rate: float = MAX_ERROR_RATE

    def held(self, step: Step) -> bool:
        p99 = step.p99()
        return not step.abandoned and step.error_rate <= self.error_rate and not math.isnan(p99) and p99 <= self.p99


@dataclass
class Ceiling:
    """A ceiling search for one target: its steps so far, the highest rate held, the lowest failed, and
    the rate to try next (`next_rate`; 0 once the search is over)."""

    label: str
    start: float
    max_rate: float = math.inf
    min_rate: float = 5.0
    precision: float = 0.1
    limit: Limit = field(default_factory=Limit)
    steps: list[Step] = field(default_factory=list)
    held: float | None = None
    failed: float | None = None

    def __post_init__(self) -> None:
        self.next = min(self.start, self.max_rate)
        self._missed: set[float] = set()

    def record(self, step: Step) -> None:
        """Take the step run at `self.next` and choose the rate after it. A rate fails only when a second
        step at it fails too: on a shared machine one hiccup must not end the search (an overloaded step
        stops early, so the retry is cheap). Every rate tried lies between the highest held and the lowest
        failed, so the two never cross."""
        self.steps.append(step)
        if self.limit.held(step):
            self.held = max(step.rate, self.held or 0.0)
        elif step.rate not in self._missed:
            self._missed.add(step.rate)
            return  # the same rate once more
        else:
            self.failed = min(step.rate, self.failed or math.inf)
        self.next = next_rate(
            self.held, self.failed, max_rate=self.max_rate, min_rate=self.min_rate, precision=self.precision
        )

    @property
    def rate(self) -> float:
        """The highest rate held (0 when none was)."""
        return self.held or 0.0

    def describe(self) -> str:
        if self.held is None:
            return f"< {self.failed:g}/s (nothing held)"
        if self.failed is None:
            return f">= {self.held:g}/s (held at --max-rate)" if self.held >= self.max_rate else f">= {self.held:g}/s"
        return f"{self.held:g}/s (failed at {self.failed:g}/s)"


def _nice(rate: float) -> float:
    return float(round(rate)) if rate >= 10 else round(rate, 1)


def next_rate(held: float | None, failed: float | None, *, max_rate: float, min_rate: float, precision: float) -> float:
    """The next rate of a ceiling search, or 0 when it is over: double while every step holds (up to
    `max_rate`), halve while none has (down to `min_rate`), then bisect between the highest held and the
    lowest failed until they are within `precision` (a fraction) of each other."""
    if failed is None:
        assert held is not None
        return 0.0 if held >= max_rate else min(max_rate, _nice(held * 2))
    if held is None:
        lower = _nice(failed / 2)
        return lower if lower >= min_rate and lower < failed else 0.0
    if failed - held <= precision * held:
        return 0.0
    middle = _nice((held + failed) / 2)
    return middle if held < middle < failed else 0.0


async def find_ceilings(searches: Sequence[Ceiling], step_at: Callable[[Ceiling, float], Awaitable[Step]]) -> None:
    """Run the searches interleaved, one step of each in turn (`step_at(search, rate)` runs one open-loop
    step), until every one is over: on a shared machine whose load drifts, the drift then falls on every
    target alike instead of on whichever was measured last."""
    while active := [search for search in searches if search.next > 0]:
        for search in active:
            search.record(await step_at(search, search.next))


async def find_ceiling(
    label: str, step_at: Callable[[float], Awaitable[Step]], *, start: float, **options: Any
) -> Ceiling:
    """One target's ceiling search (`Ceiling`'s options: max_rate, min_rate, precision, limit)."""
    search = Ceiling(label, start, **options)
    await find_ceilings([search], lambda _, rate: step_at(rate))
    return search


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile `p` (0-100) of `values`; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


COLUMNS = ("target", "offered/s", "achieved/s", "ok", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms")


def row(step: Step) -> list[str]:
    latencies = step.ok_latencies()

    def ms(p: float) -> str:
        value = percentile(latencies, p)
        return "-" if math.isnan(value) else f"{value * 1000:.1f}"

    errors = ", ".join(f"{name} x{n}" for name, n in sorted(step.errors.items())) or "0"
    return [
        step.label,
        f"{step.rate:g}",
        f"{step.achieved_rate:.1f}",
        str(step.ok),
        errors,
        ms(50),
        ms(95),
        ms(99),
        ms(100),
    ]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, so that it pastes into docs/performance.md as it is."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
        for cells in (header, *rows)
    ]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def steps_table(steps: Sequence[Step]) -> str:
    return table(COLUMNS, [row(s) for s in steps])


def failed_steps(steps: Sequence[Step]) -> list[Step]:
    """Steps whose error rate is over 1% (the benchmark then exits non-zero)."""
    return [s for s in steps if s.error_rate > MAX_ERROR_RATE]


def parser(description: str | None, *, rates: str, duration: float) -> argparse.ArgumentParser:
    """The options every benchmark takes."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=duration, help="seconds per step (default %(default)s)")
    p.add_argument("--rates", default=rates, help="offered rates per second, comma-separated (default %(default)s)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of load before the first step, not reported")
    return p


def parse_rates(text: str) -> list[float]:
    rates = [float(r) for r in text.split(",") if r.strip()]
    if not rates or any(r <= 0 for r in rates):
        raise SystemExit(f"--rates must be positive numbers, got {text!r}")
    return rates


def wall_clock() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())


# --- the machine and the ratios every benchmark prints ------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def store_kind(mongodb_url: str | None = None) -> str:
    """What the server at `mongodb_url` (default MONGODB_URL) says it is: FerretDB (on PostgreSQL) or mongod."""
    url = mongodb_url or os.environ.get("MONGODB_URL")
    if not url:
        return "store ? (MONGODB_URL unset)"
    from pymongo import MongoClient  # a benchmark's one-off question, before its async work starts

    try:
        with MongoClient(url, serverSelectionTimeoutMS=3_000) as client:
            info = client.admin.command("buildInfo")
    except Exception as exc:  # an unreachable store fails later, with a clearer message
        return f"store ? ({type(exc).__name__})"
    if "ferretdbVersion" in info:
        version = info["ferretdbVersion"]
        return f"FerretDB on PostgreSQL (ferretdbVersion {version}, MongoDB {info.get('version', '?')} protocol)"
    return f"mongod {info.get('version', '?')}"


def kafka_version() -> str:
    """The broker version the native stack runs (stack/kafka/pom.xml): the running broker's jars."""
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", _read(ROOT / "stack" / "kafka" / "pom.xml"))
    return f"Kafka {found.group(1)}" if found else "Kafka ?"


def git_commit() -> str:
    """The checkout's commit, `+dirty` when the working tree has changes (others' edits in a shared tree);
    MOTCUA_BENCH_COMMIT outside a checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):  # not a checkout (a `git archive` copy): say which, if told
        return os.environ.get("MOTCUA_BENCH_COMMIT", "?")
    return head + ("+dirty" if dirty else "")


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine so far (/proc/stat), None where there is none."""
    try:
        fields = [int(x) for x in _read("/proc/stat").split("\n", 1)[0].split()[1:]]
    except ValueError:
        return None
    if not fields:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0  # another guest's time: not ours to wait for
    return sum(fields) - idle - steal, sum(fields)


async def machine_quiet(busy_below: float = 0.2, window: float = 0.5, within: float = 30.0) -> float:
    """Wait until the machine's CPUs were less than `busy_below` busy over `window` seconds (up to
    `within`); the busy share last seen. On a machine the targets share with the store and the broker, a
    step that overloaded one target leaves the store or the broker working through its backlog for a few
    seconds: the next step, of any target, would pay for it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        before = _cpu_ticks()
        await asyncio.sleep(window)
        after = _cpu_ticks()
        if before is None or after is None or after[1] == before[1]:
            return math.nan  # no /proc/stat here: nothing to wait for
        busy = (after[0] - before[0]) / (after[1] - before[1])
        if busy < busy_below or loop.time() > deadline:
            return busy


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def machine_line(mongodb_url: str | None = None) -> str:
    """One line saying where a figure was taken: cores, CPU, memory, load average (1/5/15 min), store,
    broker, commit and UTC time. Print it beside every table; take it again after the run to show the load."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    model = re.search(r"^model name\s*:\s*(.+)$", _read("/proc/cpuinfo"), re.MULTILINE)
    memory = re.search(r"^MemTotal:\s*(\d+) kB", _read("/proc/meminfo"), re.MULTILINE)
    parts = [
        f"{cores} cores" + (f" ({usable} usable)" if usable != cores else ""),
        model.group(1).strip() if model else platform.machine(),
        f"{int(memory.group(1)) / 2**20:.1f} GiB RAM" if memory else "RAM ?",
        f"load {load_average()}",
        store_kind(mongodb_url),
        kafka_version(),
        f"Python {platform.python_version()}",
        f"commit {git_commit()}",
        wall_clock(),
    ]
    return "machine: " + ", ".join(parts)


def ratio(a: float, b: float) -> float:
    """a / b, NaN when b is not positive (a reference that held nothing)."""
    return a / b if b > 0 else math.nan


def ratio_line(what: str, a: float, b: float, *, goal: float | None = None) -> str:
    """`ratio: intake / durable echo = 0.43 (12.0 / 28.0), goal >= 0.7: missed`: the figure side by side
    with its reference, taken in the same run."""
    value = ratio(a, b)
    shown = "-" if math.isnan(value) else f"{value:.2f}"
    line = f"ratio: {what} = {shown} ({a:g} / {b:g})"
    if goal is not None:
        verdict = "met" if value >= goal else "missed"
        line += f", goal >= {goal:g}: {verdict}"
    return line
