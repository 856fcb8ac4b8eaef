"""A minimal launcher: each service as a real process, started through its `motcua-<service>` entry
point with settings from the environment, stopped by its pid.

Stop-gap until motcua_stack.services (branch `up`) lands; then the benchmarks switch to it and this
file goes."""

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class ServiceProcess:
    name: str  # intake, processing, notification, reporting
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def entry_point(name: str) -> str:
    """The `motcua-<name>` script of the environment running us (so `uv run` picks the workspace's)."""
    script = Path(sys.executable).parent / f"motcua-{name}"
    if not script.exists():
        raise SystemExit(f"{script} not found: run `uv sync` in the checkout first")
    return str(script)


def start_service(name: str, settings: dict[str, str], *, port: int, log_dir: Path,
                  args: tuple[str, ...] = ()) -> ServiceProcess:
    """Start `motcua-<name> [args]` with `settings` as MOTCUA_<NAME>_* variables, logging to `log_dir`."""
    prefix = f"MOTCUA_{name.upper()}_"
    env = {**os.environ, **{prefix + key.upper(): value for key, value in settings.items()},
           prefix + "HTTP_PORT": str(port), prefix + "HTTP_HOST": "127.0.0.1"}
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with open(log, "ab") as out:
        process = subprocess.Popen([entry_point(name), *args], stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, env=env)
    return ServiceProcess(name, port, process, log)


async def run_command(name: str, settings: dict[str, str], args: tuple[str, ...], *, within: float = 120.0) -> None:
    """Run a one-off `motcua-<name> args` command (e.g. `load-catalog`) to completion."""
    prefix = f"MOTCUA_{name.upper()}_"
    env = {**os.environ, **{prefix + key.upper(): value for key, value in settings.items()}}
    process = await asyncio.create_subprocess_exec(entry_point(name), *args, env=env, stdin=subprocess.DEVNULL,
                                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        raise SystemExit(f"motcua-{name} {' '.join(args)} took more than {within:.0f}s") from None
    if process.returncode != 0:
        raise SystemExit(f"motcua-{name} {' '.join(args)} failed:\n{output.decode(errors='replace')}")


async def wait_healthy(services: list[ServiceProcess], *, within: float = 60.0) -> None:
    """Wait until every service answers /health; fail with the tail of its log if one dies or never answers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(timeout=2.0) as client:
        for service in services:
            while True:
                if service.process.poll() is not None:
                    raise SystemExit(f"{service.name} exited ({service.process.returncode}):\n{_tail(service.log)}")
                try:
                    if (await client.get(service.url + "/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if loop.time() > deadline:
                    raise SystemExit(f"{service.name} did not answer /health in {within:.0f}s:\n{_tail(service.log)}")
                await asyncio.sleep(0.2)


def stop_service(service: ServiceProcess, *, timeout: float = 15.0) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it lingers."""
    if service.process.poll() is not None:
        return
    service.process.send_signal(signal.SIGTERM)
    try:
        service.process.wait(timeout)
    except subprocess.TimeoutExpired:
        service.process.kill()
        service.process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
