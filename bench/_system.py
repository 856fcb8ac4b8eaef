"""The system under test: the running broker and store, topics and databases of this benchmark run
alone, the sample catalogue loaded, and the services started as real processes.

Broker and store: `KAFKA_BOOTSTRAP_SERVERS` and `MONGODB_URL` when set, else the native stack
(`motcua_stack.ensure_running`, stopped again afterwards if this run started it). Services are started
and stopped by `motcua_stack.services`, with the pid files, logs and ports of this run alone."""

import asyncio
import os
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from motcua_shared.auth import Role, mint_token
from motcua_shared.calendar import PROVINCE_TZ
from motcua_shared.mongo import make_mongo_client
from motcua_shared.topics import Topics
from motcua_stack import processes, services
from motcua_stack.topics import ensure_topics

SECRET = "bench-secret-of-at-least-thirty-two-bytes-long"
# A procedure of the sample catalogue, received at the counter: the heaviest submission (two events,
# the appointment computed on the working-time calendar).
PROCEDURE, AGENCY = "1.004227", "STNMT"


def submission_body(i: int) -> dict[str, Any]:
    """The JSON body of the i-th submission (the echo benchmark sends the same)."""
    return {
        "procedure_code": PROCEDURE,
        "agency_code": AGENCY,
        "channel": "direct",
        "applicant": {
            "full_name": "Nguyễn Văn An",
            "id_number": "001090012345",
            "phone": f"+8490{i % 10_000_000:07d}",
            "email": "an.nguyen@example.vn",
            "address": "12 Lý Thường Kiệt, phường Hàng Bài, quận Hoàn Kiếm, Hà Nội",
            "preferred_language": "vi",
        },
        "documents": [
            {"name": "Đơn đề nghị cấp giấy chứng nhận", "sha256": "a" * 64, "size": 48_213},
            {"name": "Bản sao căn cước công dân", "sha256": "b" * 64, "size": 210_004},
        ],
    }


@dataclass
class System:
    run_id: str
    topics: Topics
    wiring: services.Wiring
    log_dir: Path
    names: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return services.BY_NAME[name].url()

    def pid(self, name: str) -> int:
        """The service's process (its entry point's interpreter)."""
        return services.running()[name]

    def database(self, name: str) -> str:
        return self.wiring.database(services.BY_NAME[name])


def token(role: Role, agency: str | None = None) -> str:
    return mint_token(SECRET, role, subject=f"bench-{role.value}", agency_code=agency, ttl=timedelta(hours=6))


def officer_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {token(Role.OFFICER, AGENCY)}"}


def official_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {token(Role.OFFICIAL)}"}


def today_period() -> dict[str, str]:
    """A summary period around today in the province (submissions count by their Vietnamese date)."""
    today = datetime.now(UTC).astimezone(PROVINCE_TZ).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def infrastructure() -> AsyncIterator[tuple[str, str]]:
    kafka, mongo = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("MONGODB_URL")
    started: list[str] = []
    if not (kafka and mongo):
        from motcua_stack import ensure_running

        endpoints = await asyncio.to_thread(ensure_running)
        started = endpoints.started
        kafka, mongo = kafka or endpoints.kafka_bootstrap_servers, mongo or endpoints.mongodb_url
    try:
        yield kafka, mongo
    finally:
        if started:
            from motcua_stack import stop

            await asyncio.to_thread(stop, started)


@asynccontextmanager
async def running_system(
    names: Sequence[str], *, commands: dict[str, list[str]] | None = None
) -> AsyncIterator[System]:
    """The services `names` on topics and databases of their own, the sample catalogue loaded and folded
    by intake; everything removed afterwards (the services' logs stay in `system.log_dir`). `commands`
    replaces a service's entry point by another command (a profiler's wrapper around it)."""
    run_id = uuid.uuid4().hex[:8]
    async with infrastructure() as (kafka, mongo):
        topics = Topics(f"bench-{run_id}.")
        home = Path(tempfile.mkdtemp(prefix=f"motcua-bench-{run_id}-"))
        wiring = services.Wiring(
            kafka, mongo, topic_prefix=topics.prefix, database_prefix=f"bench_{run_id}_", jwt_secret=SECRET
        )
        system = System(run_id, topics, wiring, home / "logs", list(names))
        # A stack home and ports of this run: the services' pid files never meet a `make up` stack's.
        saved = {key: os.environ.get(key) for key in ("MOTCUA_STACK_HOME", *_port_variables(names))}
        os.environ["MOTCUA_STACK_HOME"] = str(home)
        for variable in _port_variables(names):
            os.environ[variable] = str(free_port())
        try:
            await ensure_topics(kafka, topics, 3)
            for name in names:
                service = services.BY_NAME[name]
                if commands and name in commands:
                    processes.start(name, commands[name], cwd=Path.cwd(), env=services.environment(service, wiring))
                else:
                    services.start(service, wiring, wait=False)
            # The consumers read from the earliest offset, so the catalogue may land while they start.
            started = time.monotonic()
            await asyncio.gather(
                _load_catalogue(wiring),
                *(asyncio.to_thread(services.wait_healthy, services.BY_NAME[name]) for name in names),
            )
            if "intake" in names:
                await _wait_for_catalogue(system.url("intake"))
            print(
                f"services up and catalogue folded in {time.monotonic() - started:.1f} s (logs in {system.log_dir})",
                file=sys.stderr,
            )
            yield system
        finally:
            for name in names:
                services.stop(services.BY_NAME[name])
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            await _remove(system)


def _port_variables(names: Sequence[str]) -> list[str]:
    return [f"MOTCUA_STACK_{name.upper()}_PORT" for name in names]


async def _load_catalogue(wiring: services.Wiring, within: float = 120.0) -> None:
    """`motcua-intake load-catalog` on the run's topics."""
    env = {**os.environ, **services.environment(services.INTAKE, wiring)}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "motcua-intake"),
        "load-catalog",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        raise SystemExit(f"motcua-intake load-catalog took more than {within:.0f}s") from None
    if process.returncode != 0:
        raise SystemExit(f"motcua-intake load-catalog failed:\n{output.decode(errors='replace')}")


async def _wait_for_catalogue(intake_url: str, within: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(base_url=intake_url, timeout=5.0) as client:
        while (await client.get(f"/v1/procedures/{PROCEDURE}")).status_code != 200:
            if loop.time() > deadline:
                raise SystemExit(f"intake did not fold the catalogue in {within:.0f}s")
            await asyncio.sleep(0.2)


async def _remove(system: System) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=system.wiring.kafka_bootstrap_servers)
    try:
        await admin.start()
        await admin.delete_topics(system.topics.all())
    except Exception as exc:  # leftovers are harmless: every run has its own prefix
        print(f"note: could not delete the run's topics: {exc!r}", file=sys.stderr)
    finally:
        await admin.close()
    mongo = make_mongo_client(system.wiring.mongodb_url)
    try:
        for name in {"intake", *system.names}:
            await mongo.drop_database(system.database(name))
    finally:
        await mongo.close()
