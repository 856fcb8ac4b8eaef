"""Readiness: can this instance do its work now? `/ready` (added by motcua_shared.api.create_app) runs
the checks a service's bootstrap registered and answers 200, or 503 naming each dependency that failed.
Liveness (`/health`) is separate: a service whose broker is away is alive but not ready.

Degradation checks say that the service works but not as well as it should: its consumers are far
behind the topics they fold (an import, a backlog). `/ready` then answers 200 with status `degraded`
and the check's reason, rather than 503: the lag is the consumer group's, the same for every
instance, so a 503 would take every instance out of service at once, while they still answer and
catch up (docs/observability.md)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

# Raises (or returns False) when the dependency cannot be used.
ReadinessCheck = Callable[[], Awaitable[bool | None]]

# Returns None while all is well, else why the service is degraded.
DegradationCheck = Callable[[], Awaitable[str | None]]

CHECK_TIMEOUT_SECONDS = 2.0


def add_readiness_check(app: FastAPI, name: str, check: ReadinessCheck) -> None:
    """Make `/ready` depend on `check` under `name` (`kafka`, `store`, ...)."""
    checks: dict[str, ReadinessCheck] = getattr(app.state, "readiness_checks", {})
    checks[name] = check
    app.state.readiness_checks = checks


def add_degradation_check(app: FastAPI, name: str, check: DegradationCheck) -> None:
    """Make `/ready` answer `degraded` under `name` (`consumer_lag`) while `check` gives a reason."""
    checks: dict[str, DegradationCheck] = getattr(app.state, "degradation_checks", {})
    checks[name] = check
    app.state.degradation_checks = checks


def consumer_lag_check(lag: Callable[[], Awaitable[int]], *, max_lag: int, setting: str) -> DegradationCheck:
    """Degraded while the consumer group has more than `max_lag` records still to fold (`lag`:
    motcua_shared.freshness.ViewFreshness.lag); `setting` names the variable that sets the bound."""

    async def check() -> str | None:
        behind = await lag()
        if behind <= max_lag:
            return None
        return f"{behind} events not yet folded by the consumers, more than {max_lag} ({setting})"

    return check


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


async def run_checks(
    checks: dict[str, ReadinessCheck], *, each_within: float = CHECK_TIMEOUT_SECONDS
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


async def run_degradation_checks(
    checks: dict[str, DegradationCheck], *, each_within: float = CHECK_TIMEOUT_SECONDS
) -> dict[str, str]:
    """`degraded: <reason>` for each check that gives a reason, or could not tell within `each_within`
    seconds; the others are left out."""

    async def outcome(check: DegradationCheck) -> str | None:
        try:
            async with asyncio.timeout(each_within):
                return await check()
        except TimeoutError:
            return f"could not tell within {each_within:g} s"
        except Exception as error:
            return f"could not tell: {type(error).__name__}: {str(error)[:200]}"

    results = await asyncio.gather(*(outcome(check) for check in checks.values()))
    return {name: f"degraded: {why}" for name, why in zip(checks, results, strict=True) if why is not None}
