"""(b) Latency from submit to visible in the summary: dossiers submitted to intake at fixed offered
rates, while reporting's `GET /v1/reports/summary` is polled back to back; how long until the summary
counts them.

    uv run python bench/submit_to_summary.py --duration 20 --rates 5,10,20

Intake and reporting run as real processes (`motcua-intake`, `motcua-reporting`) against the running
broker and store, on topics and databases of their own. Reporting has no per-dossier view, only
counts, so submissions are matched to counts by rank: the k-th submission of a step (in the order they
were due) is taken as visible at the first poll answered with at least k more dossiers received than
before the step. Latency runs from the time the submission was due to be sent (open loop) to the
arrival of that poll's answer, so it includes intake's own answer time and is resolved to one poll
round trip (shown under the table); the same from intake's answer is printed under it (the fold
and the poll without intake's own queueing). A submission not counted 30 s after the step counts as an error
(`not_visible`); exits 1 if any step lost more than 1%.

`--half-of C` offers C/2 submissions per second (issue 16's goal: p99 <= 250 ms at half of intake's
ceiling; take C from bench/intake_throughput.py on the same machine). Each step's p99 is printed beside
the goal, with the machine (bench/_load.py `machine_line`). Reporting's consumer waits
`MOTCUA_REPORTING_BATCH_TIMEOUT_MS` for a first record and, when none came, sleeps as long again
(FastStream): an event arriving then waits up to that, which this figure includes.

Each step also prints the CPU per submission of intake, reporting (with the summary poll's), the
store, Kafka, this process and the machine (bench/_cpu.py): on a small machine the fold waits for a
core as much as for the store."""

import asyncio
import bisect
import re
import sys
import uuid
from dataclasses import dataclass, field

from _cpu import SHARED_COLUMNS, per_request_ms, snapshot, split_row
from _http import LeanClient
from _load import (
    Step,
    failed_steps,
    machine_line,
    open_loop,
    parse_rates,
    parser,
    percentile,
    steps_table,
    table,
    wall_clock,
)
from _system import officer_headers, official_headers, running_system, submission_body, today_period

SETTLE_SECONDS = 30.0
APPS = ["intake", "reporting"]  # the services it runs; their processes by command line: motcua-<name>
GOAL_P99_MS = 250.0  # issue 16: submit -> visible in the summary, at half of intake's ceiling


@dataclass
class SummaryPoller:
    """Polls the summary back to back, keeping (answer arrival time, dossiers received)."""

    client: LeanClient  # reporting's
    observations: list[tuple[float, int]] = field(default_factory=list)
    round_trips: list[float] = field(default_factory=list)

    async def received(self) -> int:
        response = await self.client.get("/v1/reports/summary", params=today_period(), headers=official_headers())
        response.raise_for_status()
        return int(response.json()["received"]["total"])

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            sent = loop.time()
            total = await self.received()
            now = loop.time()
            self.observations.append((now, total))
            self.round_trips.append(now - sent)
            await asyncio.sleep(0.01)

    def last(self) -> int:
        return self.observations[-1][1] if self.observations else 0


async def settle(poller: SummaryPoller, polling: asyncio.Task[None], expected: int) -> None:
    """Wait until the summary counts `expected`, or SETTLE_SECONDS."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while poller.last() < expected and loop.time() < deadline:
        if polling.done():
            polling.result()  # the poller failed: say why rather than report everything invisible
        await asyncio.sleep(0.05)


def visible_latencies(
    step: Step, baseline: int, observations: list[tuple[float, int]], *, since_answer: bool = False
) -> list[float]:
    """Per submission (by rank, see the module docstring): from its due time (or, `since_answer`, from
    intake's answer to it) to the first poll that counts it. Fewer than the successful submissions
    when some never became visible."""
    times = [t for t, _ in observations]
    counted = [total - baseline for _, total in observations]
    # The count seen only grows (a read model never loses a dossier), so the first poll counting k is a bisect.
    running_max = []
    best = 0
    for c in counted:
        best = max(best, c)
        running_max.append(best)
    latencies = []
    for k, sample in enumerate(sorted((s for s in step.samples if s.ok), key=lambda s: s.due), start=1):
        index = bisect.bisect_left(running_max, k)
        if index == len(running_max):
            break
        latencies.append(times[index] - (sample.done if since_answer else sample.due))
    return latencies


async def bench(duration: float, rates: list[float], warmup: float) -> int:
    async with running_system(["intake", "reporting"]) as system:
        # Lean clients (bench/_http.py): the generator runs on the machine it measures.
        async with LeanClient(system.url("intake")) as client, LeanClient(system.url("reporting")) as poll_client:
            headers = officer_headers()

            async def submit(i: int) -> int:
                response = await client.post(
                    "/v1/dossiers",
                    json_body=submission_body(i),
                    headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                )
                return response.status_code

            apps = {name: re.compile(f"motcua-{name}") for name in APPS}
            poller = SummaryPoller(poll_client)
            await poller.received()  # reporting answers before we start the clock
            polling = asyncio.create_task(poller.run())
            after_answer: dict[float, list[float]] = {}
            try:
                steps, splits = [], []
                if warmup > 0:
                    before = poller.last()
                    warm = await open_loop("warm-up", rates[0], warmup, submit)
                    await settle(poller, polling, before + warm.ok)
                for rate in rates:
                    baseline = poller.last()
                    before = snapshot(apps)
                    step = await open_loop("intake -> summary", rate, duration, submit)
                    await settle(poller, polling, baseline + step.ok)
                    after = snapshot(apps)
                    if before and after:
                        splits.append((step, per_request_ms(before, after, step.offered)))
                    step.latencies = visible_latencies(step, baseline, poller.observations)
                    after_answer[step.rate] = visible_latencies(step, baseline, poller.observations, since_answer=True)
                    missing = step.ok - len(step.latencies)
                    if missing:
                        step.extra_errors["not_visible"] = missing
                    steps.append(step)
            finally:
                polling.cancel()
    print(f"\nsubmit -> visible in reporting's summary, {duration:g} s per step, {wall_clock()}\n")
    print(steps_table(steps))
    print(
        f"\nsummary poll round trip (the resolution of the figures): p50 "
        f"{percentile(poller.round_trips, 50) * 1000:.1f} ms, p95 {percentile(poller.round_trips, 95) * 1000:.1f} ms"
    )
    for step in steps:  # what intake's own queueing leaves out: the fold and the poll alone
        since = after_answer.get(step.rate) or [float("nan")]
        print(
            f"from intake's answer to visible at {step.rate:g}/s: p50 {percentile(since, 50) * 1000:.1f} ms, "
            f"p99 {percentile(since, 99) * 1000:.1f} ms"
        )
    for step in steps:
        p99 = percentile(step.ok_latencies(), 99) * 1000 if step.ok_latencies() else float("nan")
        verdict = "met" if p99 <= GOAL_P99_MS else "missed"
        print(f"goal: p99 <= {GOAL_P99_MS:g} ms at {step.rate:g}/s: {verdict} ({p99:.1f} ms)")
    if splits:
        print(
            "\nCPU per submission, ms, by process, over each step and until the last was visible (/proc; "
            "reporting's includes the summary poll's):\n"
        )
        rows = [[s.label, f"{s.rate:g}", *split_row(APPS, split)] for s, split in splits]
        print(table(["target", "offered/s", *APPS, *SHARED_COLUMNS], rows))
    print(machine_line())
    failed = failed_steps(steps)
    for step in failed:
        print(f"FAILED: {step.label} at {step.rate:g}/s: error rate {step.error_rate:.1%} > 1%")
    return 1 if failed else 0


def main() -> None:
    p = parser(__doc__, rates="5,10,20", duration=20)
    p.add_argument("--half-of", type=float, metavar="CEILING", help="offer CEILING/2 per second instead of --rates")
    args = p.parse_args()
    if args.half_of is not None and args.half_of <= 0:
        raise SystemExit(f"--half-of must be a positive rate, got {args.half_of:g}")
    rates = [args.half_of / 2] if args.half_of else parse_rates(args.rates)
    sys.exit(asyncio.run(bench(args.duration, rates, args.warmup)))


if __name__ == "__main__":
    main()
