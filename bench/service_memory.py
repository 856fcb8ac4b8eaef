"""(e) Resident memory of each service under load: every service runs as a real process while dossiers
are submitted to intake at fixed offered rates (processing and reporting fold each of them); the
resident set (VmRSS in /proc/<pid>/status, the process and its children) is sampled every 0.2 s.

    uv run python bench/service_memory.py --duration 20 --rates 10,20

Prints the load table, then per service: idle (after start-up and the catalogue), the peak during each
step, and after the load. Linux only (/proc). Exits 1 if any step lost more than 1% of its submissions."""

import asyncio
import sys
import uuid
from collections import defaultdict
from pathlib import Path

import httpx
from _load import failed_steps, open_loop, parse_rates, parser, steps_table, table, wall_clock
from _system import officer_headers, running_system, submission_body

SERVICES = ("intake", "processing", "reporting", "notification")
INTERVAL = 0.2


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


async def bench(duration: float, rates: list[float], warmup: float) -> int:
    async with running_system(SERVICES) as system:
        sampler = Sampler({name: system.pid(name) for name in SERVICES})
        sampling = asyncio.create_task(sampler.run())
        try:
            await asyncio.sleep(max(2.0, warmup))  # idle, after start-up and the catalogue
            limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200)
            async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
                headers = officer_headers()

                async def submit(i: int) -> int:
                    response = await client.post(
                        system.url("intake") + "/v1/dossiers",
                        json=submission_body(i),
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
    failed = failed_steps(steps)
    for step in failed:
        print(f"FAILED: {step.label} at {step.rate:g}/s: error rate {step.error_rate:.1%} > 1%")
    return 1 if failed else 0


def main() -> None:
    args = parser(__doc__, rates="10,20", duration=20).parse_args()
    sys.exit(asyncio.run(bench(args.duration, parse_rates(args.rates), args.warmup)))


if __name__ == "__main__":
    main()
