"""Runs a POST at most once per (caller, Idempotency-Key): the first request decides its events and
answer, publishes, and stores the answer; a retry with the same body gets that answer and publishes
nothing new; the same key with another body is refused with 409 `idempotency_key_reused`."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from motcua_shared.auth import Principal
from motcua_shared.events import DossierEvent, DossierSubmitted, parse_event
from motcua_shared.idempotency import fingerprint
from motcua_shared.publishing import BrokerUnavailable
from motcua_shared.refusals import Unavailable

from .unit import Decision, Intake

__all__ = ["fingerprint", "run_once"]

log = logging.getLogger(__name__)


async def run_once(
    intake: Intake,
    principal: Principal,
    key: str,
    request_fingerprint: str,
    decide: Callable[[], Awaitable[Decision]],
) -> dict[str, Any]:
    """The answer to the request, publishing its events once (see the module docstring)."""
    store = intake.idempotency
    claim = await store.claim(principal.subject, key, request_fingerprint)
    if claim.response is not None:
        return claim.response
    rid, plan = claim.record_id, claim.plan

    if plan is None:
        try:
            decision = await decide()
        except BaseException:
            await store.forget(rid)  # nothing decided: a retry is judged anew
            raise
        plan = _plan(decision)
        await store.save_plan(rid, plan)
    decision = _decision(plan)

    try:
        await intake.publisher.publish(decision.topic, decision.key, decision.events)
    except BrokerUnavailable as exc:
        # The plan (with its event_ids) stays: a retry publishes the same events, never new ones.
        await store.release(rid)
        raise Unavailable(
            "broker_unavailable", f"the event broker did not acknowledge: {exc}", retry_after=intake.retry_after_seconds
        ) from exc

    await _fold(intake, decision)
    await store.complete(rid, decision.response)
    return decision.response


async def _fold(intake: Intake, decision: Decision) -> None:
    """Update intake's own views at once (read-your-writes); the consumers fold the same events
    idempotently, so a failure here only delays the view."""
    try:
        if await _fold_new_dossier(intake, decision):
            return
        for event in decision.events:
            if isinstance(event, DossierEvent):
                await intake.dossiers.apply(event, phone_hash=decision.phone_hash)
            else:
                await intake.catalogue.apply(event)
    except Exception:
        log.exception("could not fold published events into intake's views; the consumer will")


async def _fold_new_dossier(intake: Intake, decision: Decision) -> bool:
    """A new dossier's events go into the view in one write (see DossierStore.record_new)."""
    events = [event for event in decision.events if isinstance(event, DossierEvent)]
    if not events or len(events) != len(decision.events) or not isinstance(events[0], DossierSubmitted):
        return False
    return await intake.dossiers.record_new(events, phone_hash=decision.phone_hash)


def _plan(decision: Decision) -> dict[str, Any]:
    return {
        "topic": decision.topic,
        "key": decision.key,
        "response": decision.response,
        "phone_hash": decision.phone_hash,
        "events": [event.to_bytes().decode() for event in decision.events],
    }


def _decision(plan: dict[str, Any]) -> Decision:
    return Decision(
        topic=plan["topic"],
        key=plan["key"],
        response=plan["response"],
        phone_hash=plan.get("phone_hash"),
        events=[parse_event(raw) for raw in plan["events"]],
    )
