"""The profile behind docs/performance.md: how many store round trips one submission costs, by
command and collection, at fixed offered rates. Intake runs as a real process with a pymongo command
listener (bench/_counted_intake.py); the load is the same as intake_throughput.py's.

    uv run python bench/store_round_trips.py --duration 10 --rates 5,15

Counts include intake's consumer folding the same events (it runs in the same process); the
`per submission` column divides by the successful submissions of the step. Exits 1 if any step lost
more than 1%."""

import asyncio
import json
import os
import signal
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
from _load import failed_steps, open_loop, parse_rates, parser, steps_table, table, wall_clock
from _system import officer_headers, running_system, submission_body

HERE = Path(__file__).parent


async def bench(duration: float, rates: list[float], warmup: float) -> int:
    counts_file = Path(tempfile.mkdtemp(prefix="motcua-bench-counts-")) / "counts.json"
    os.environ["MOTCUA_BENCH_STORE_COUNTS"] = str(counts_file)
    steps, profiles = [], []
    async with running_system(
        ["intake"], commands={"intake": [sys.executable, str(HERE / "_counted_intake.py")]}
    ) as system:
        pid = system.pid("intake")
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

            async def counted() -> dict[str, list[float]]:
                counts_file.unlink(missing_ok=True)
                os.kill(pid, signal.SIGUSR1)
                for _ in range(100):
                    await asyncio.sleep(0.05)
                    if counts_file.exists() and counts_file.stat().st_size:
                        return dict(json.loads(counts_file.read_text()))
                raise SystemExit("intake did not write its store counts")

            if warmup > 0:
                await open_loop("warm-up", rates[0], warmup, submit)
            await asyncio.sleep(1.0)  # the consumer folds the warm-up's events
            await counted()  # start each step from zero
            for rate in rates:
                step = await open_loop("intake", rate, duration, submit)
                await asyncio.sleep(1.0)  # and this step's
                steps.append(step)
                profiles.append(await counted())
    print(f"\nstore round trips per submission, {duration:g} s per step, {wall_clock()}\n")
    print(steps_table(steps))
    for step, profile in zip(steps, profiles, strict=True):
        ok = max(step.ok, 1)
        total_count = sum(c for c, _ in profile.values())
        total_time = sum(t for _, t in profile.values())
        rows = [
            [command, f"{count:.0f}", f"{count / ok:.1f}", f"{seconds / count * 1000:.1f}"]
            for command, (count, seconds) in sorted(profile.items(), key=lambda kv: -kv[1][0])
        ]
        rows.append(
            ["all", f"{total_count:.0f}", f"{total_count / ok:.1f}", f"{total_time / max(total_count, 1) * 1000:.1f}"]
        )
        print(f"\nat {step.rate:g}/s offered ({step.ok} submissions)\n")
        print(table(["command collection", "count", "per submission", "mean ms"], rows))
    failed = failed_steps(steps)
    for step in failed:
        print(f"FAILED: {step.label} at {step.rate:g}/s: error rate {step.error_rate:.1%} > 1%")
    return 1 if failed else 0


def main() -> None:
    args = parser(__doc__, rates="5,15", duration=10).parse_args()
    sys.exit(asyncio.run(bench(args.duration, parse_rates(args.rates), args.warmup)))


if __name__ == "__main__":
    main()
