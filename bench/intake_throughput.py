"""(a) Intake submissions per second: `POST /v1/dossiers` (a counter officer receiving a dossier, the
heaviest submission) at fixed offered rates, with p50/p95/p99 latency, next to a bare FastAPI echo of
the same body served the same way on the same machine.

    uv run python bench/intake_throughput.py --duration 20 --rates 10,20,40

Intake runs as a real process (`motcua-intake`) against the running broker and store, on topics and
a database of its own, with the sample catalogue loaded. Exits 1 if any step lost more than 1%."""

import asyncio
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from _load import Request, failed_steps, open_loop, parse_rates, parser, steps_table, wall_clock
from _system import free_port, officer_headers, running_system, submission_body

HERE = Path(__file__).parent


@dataclass
class Echo:
    process: subprocess.Popen[bytes]
    url: str

    async def wait_healthy(self, within: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                try:
                    if (await client.get(self.url + "/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if self.process.poll() is not None or loop.time() > deadline:
                    raise SystemExit("the echo app did not start")
                await asyncio.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_echo() -> Echo:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "echo_app.py"), "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return Echo(process, f"http://127.0.0.1:{port}")


async def bench(duration: float, rates: list[float], warmup: float) -> int:
    echo = start_echo()  # starts while intake does
    try:
        async with running_system(["intake"]) as system:
            await echo.wait_healthy()
            limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200)
            async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
                targets = {"echo": (echo.url, {}), "intake": (system.url("intake"), officer_headers())}

                def submit(target: str) -> Request:
                    base, headers = targets[target]

                    async def request(i: int) -> int:
                        response = await client.post(
                            base + "/v1/dossiers",
                            json=submission_body(i),
                            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                        )
                        return response.status_code

                    return request

                for target in targets:
                    if warmup > 0:
                        await open_loop(f"{target} (warm-up)", rates[0], warmup, submit(target))
                # Every echo step first: an overloaded intake step leaves work behind that would slow
                # the echo step after it.
                steps = [
                    await open_loop(target, rate, duration, submit(target)) for target in targets for rate in rates
                ]
    finally:
        echo.stop()
    print(f"\nintake submissions vs a bare FastAPI echo, {duration:g} s per step, {wall_clock()}\n")
    print(steps_table(steps))
    failed = failed_steps(steps)
    for step in failed:
        print(f"FAILED: {step.label} at {step.rate:g}/s: error rate {step.error_rate:.1%} > 1%")
    return 1 if failed else 0


def main() -> None:
    args = parser(__doc__, rates="10,20,40", duration=20).parse_args()
    sys.exit(asyncio.run(bench(args.duration, parse_rates(args.rates), args.warmup)))


if __name__ == "__main__":
    main()
