"""(e) Resident memory of each service under load: every service runs as a real process while dossiers
are submitted to intake at fixed offered rates (processing and reporting fold each of them); the
resident set (VmRSS in /proc/<pid>/status, the process and its children) is sampled every 0.2 s.

    uv run python bench/service_memory.py --duration 20 --rates 10,20
    uv run python bench/service_memory.py --duration 30 --half-of 60   # at half of intake's ceiling

`--half-of C` offers C/2 submissions per second (issue 16: memory "at half of intake's ceiling"; take C
from `bench/intake_throughput.py` on the same machine) instead of `--rates`.

Prints the load table, then per service: idle (after start-up and the catalogue), the peak during each
step, and after the load, in MiB; then each service's peak under load in MB beside the 150 MB goal, and
the machine. Linux only (/proc). Exits 1 if any step lost more than 1% of its submissions."""

import asyncio
import sys
import uuid
from collections import defaultdict
from pathlib import Path

from _http import LeanClient
from _load import (
    failed_steps,
    load_average,
    machine_line,
    open_loop,
    parse_rates,
    parser,
    steps_table,
    table,
    wall_clock,
)
from _system import officer_headers, running_system, submission_body

SERVICES = ("intake", "processing", "reporting", "notification")
INTERVAL = 0.2
GOAL_MB = 150  # issue 16: resident memory per service under load at half of intake's ceiling


def process_tree() -> dict[int, list[int]]:
    """Every process's children, from one pass over /proc."""
    tree: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone while we looked
        tree[ppid].append(int(stat.parent.name))
    return tree


def rss_kib(pid: int, tree: dict[int, list[int]]) -> int:
    """VmRSS of `pid` and its descendants, in KiB (0 for a process that is gone)."""
    total = 0
    pending = [pid]
    while pending:
        each = pending.pop()
        pending.extend(tree.get(each, []))
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


class Sampler:
    """Samples every service's RSS into the current phase ('idle', a rate, 'after')."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.phase = "idle"
        self.samples: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))

    async def run(self) -> None:
        while True:
            tree = process_tree()
            for name, pid in self.pids.items():
                self.samples[self.phase][name].append(rss_kib(pid, tree))
            await asyncio.sleep(INTERVAL)

    def peak_mib(self, phase: str, name: str) -> str:
        values = self.samples[phase][name]
        return f"{max(values) / 1024:.0f}" if values else "-"

    def peak_mb(self, phases: list[str], name: str) -> float:
        """The highest RSS over `phases`, in MB (10^6 bytes, as the goal is stated)."""
        values = [kib for phase in phases for kib in self.samples[phase][name]]
        return max(values, default=0) * 1024 / 1e6


def goal_rows(sampler: Sampler, phases: list[str]) -> list[list[str]]:
    rows = []
    for name in SERVICES:
        peak = sampler.peak_mb(phases, name)
        rows.append([name, f"{peak:.0f}", f"<= {GOAL_MB}", "met" if peak <= GOAL_MB else "missed"])
    return rows


async def bench(duration: float, rates: list[float], warmup: float) -> int:
    before = machine_line()
    async with running_system(SERVICES) as system:
        sampler = Sampler({name: system.pid(name) for name in SERVICES})
        sampling = asyncio.create_task(sampler.run())
        try:
            await asyncio.sleep(max(2.0, warmup))  # idle, after start-up and the catalogue
            async with LeanClient(system.url("intake")) as client:  # the load generator's own CPU kept low
                headers = officer_headers()

                async def submit(i: int) -> int:
                    response = await client.post(
                        "/v1/dossiers",
                        json_body=submission_body(i),
                        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                    )
                    return response.status_code

                steps = []
                phases = []
                for rate in rates:
                    sampler.phase = phase = f"peak at {rate:g}/s"
                    phases.append(phase)
                    steps.append(await open_loop("intake", rate, duration, submit))
            sampler.phase = "after"
            await asyncio.sleep(max(2.0, warmup))  # the consumers catch up
        finally:
            sampling.cancel()
    print(f"\nresident memory of each service under load, {duration:g} s per step, {wall_clock()}\n")
    print(steps_table(steps))
    print("\nresident set size, MiB (VmRSS)\n")
    columns = ["idle", *phases, "after"]
    print(table(["service", *columns], [[name, *(sampler.peak_mib(c, name) for c in columns)] for name in SERVICES]))
    print(f"\npeak under load ({', '.join(f'{r:g}/s' for r in rates)}) beside the goal\n")
    print(table(["service", "peak MB", "goal MB", "goal"], goal_rows(sampler, phases)))
    print(f"\n{before}\nafter: load {load_average()}, {wall_clock()}")
    failed = failed_steps(steps)
    for step in failed:
        print(f"FAILED: {step.label} at {step.rate:g}/s: error rate {step.error_rate:.1%} > 1%")
    return 1 if failed else 0


def main() -> None:
    p = parser(__doc__, rates="10,20", duration=20)
    p.add_argument("--half-of", type=float, metavar="CEILING", help="offer CEILING/2 per second instead of --rates")
    args = p.parse_args()
    if args.half_of is not None and args.half_of <= 0:
        raise SystemExit(f"--half-of must be a positive rate, got {args.half_of:g}")
    rates = [args.half_of / 2] if args.half_of else parse_rates(args.rates)
    sys.exit(asyncio.run(bench(args.duration, rates, args.warmup)))


if __name__ == "__main__":
    main()
