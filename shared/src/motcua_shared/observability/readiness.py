"""Readiness: can this instance do its work now? `/ready` (added by motcua_shared.api.create_app) runs
the checks a service's bootstrap registered and answers 200, or 503 naming each dependency that failed.
Liveness (`/health`) is separate: a service whose broker is away is alive but not ready."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

# Raises (or returns False) when the dependency cannot be used.
ReadinessCheck = Callable[[], Awaitable[bool | None]]

CHECK_TIMEOUT_SECONDS = 2.0


def add_readiness_check(app: FastAPI, name: str, check: ReadinessCheck) -> None:
    """Make `/ready` depend on `check` under `name` (`kafka`, `store`, ...)."""
    checks: dict[str, ReadinessCheck] = getattr(app.state, "readiness_checks", {})
    checks[name] = check
    app.state.readiness_checks = checks


def kafka_check(broker: KafkaBroker, *, timeout: float = 2.0) -> ReadinessCheck:
    """The broker answers a metadata request (FastStream's ping describes the cluster)."""

    async def check() -> bool:
        return bool(await broker.ping(timeout=timeout))

    return check


def store_check(client: Any) -> ReadinessCheck:
    """The MongoDB-protocol store answers `ping`."""

    async def check() -> bool:
        await client.admin.command("ping")
        return True

    return check


async def run_checks(checks: dict[str, ReadinessCheck], *, each_within: float = CHECK_TIMEOUT_SECONDS
                     ) -> dict[str, str]:
    """Each check's outcome, `ok` or why not; run together, each within `each_within` seconds."""

    async def outcome(check: ReadinessCheck) -> str:
        try:
            async with asyncio.timeout(each_within):
                answer = await check()
        except TimeoutError:
            return f"no answer within {each_within:g} s"
        except Exception as error:
            return f"{type(error).__name__}: {str(error)[:200]}"
        return "ok" if answer is not False else "unreachable"

    results = await asyncio.gather(*(outcome(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))
