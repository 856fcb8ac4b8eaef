"""Runs a POST at most once per (caller, Idempotency-Key): the first request decides its events and
answer, publishes, and stores the answer; a retry with the same body gets that answer and publishes
nothing new; the same key with another body is refused with 409 `idempotency_key_reused`.

A new dossier (`receive_once`) costs ONE store write (issue 16): its decision depends on nothing a
first attempt changes, so it is decided first and its record inserted already planned; then its events
are published, and that is all the request does. Intake's view of the dossier is written by intake's
consumer, in bulk with the rest of its batch (every read of the view waits for that consumer anyway:
applicant_actions.folded_dossier), and it stands for the answer: the record is left planned, and a retry
that finds the dossier in the view (once the consumer has folded what was published) gets the receipt
planned for it."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from motcua_shared.auth import Principal
from motcua_shared.events import DossierEvent, parse_event
from motcua_shared.idempotency import fingerprint, key_reused, record_id, request_in_progress
from motcua_shared.publishing import BrokerUnavailable
from motcua_shared.refusals import Refused, Unavailable

from .unit import Decision, Intake

__all__ = ["fingerprint", "receive_once", "run_once"]

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

    decision: Decision | None = None
    if plan is None:
        try:
            decision = await decide()
        except BaseException:
            await store.forget(rid)  # nothing decided: a retry is judged anew
            raise
        plan = _plan(decision)
        await store.save_plan(rid, plan)
    return await _publish(intake, rid, plan, decision)


async def receive_once(
    intake: Intake,
    principal: Principal,
    key: str,
    request_fingerprint: str,
    decide: Callable[[], Awaitable[Decision]],
) -> dict[str, Any]:
    """`run_once` for a new dossier, in one store write (see the module docstring)."""
    rid = record_id(principal.subject, key)
    if rid in intake.receiving:  # a duplicate while the first is received here: it consumes no code
        raise key_reused() if intake.receiving[rid] != request_fingerprint else request_in_progress()
    intake.receiving[rid] = request_fingerprint
    try:
        return await _receive(intake, principal, key, request_fingerprint, decide)
    finally:
        del intake.receiving[rid]


async def _receive(
    intake: Intake,
    principal: Principal,
    key: str,
    request_fingerprint: str,
    decide: Callable[[], Awaitable[Decision]],
) -> dict[str, Any]:
    store = intake.idempotency
    try:
        decision: Decision | None = await decide()
        refusal: Refused | None = None
    except Refused as refused:  # a retry refused now (the procedure retired since) still gets its first answer
        decision, refusal = None, refused
    plan = None if decision is None else {**_plan(decision), "new_dossier": True}
    try:
        claim = await store.claim(
            principal.subject, key, request_fingerprint, plan=plan, published=lambda p: _received(intake, p)
        )
    except BaseException:
        _give_back(intake, plan)
        raise
    if claim.new and decision is not None and plan is not None:
        return await _publish(intake, claim.record_id, plan, decision)
    if claim.response is not None:  # an earlier attempt's answer, or its plan (and code), decides
        _give_back(intake, plan)
        return claim.response
    if claim.plan is not None:
        _give_back(intake, plan)
        return await _publish(intake, claim.record_id, claim.plan)
    # Nothing decided under the key yet: we refuse (a retry is judged anew), or decide for an
    # abandoned attempt that had not.
    if plan is None:
        await store.forget(claim.record_id)
        assert refusal is not None
        raise refusal
    await store.save_plan(claim.record_id, plan)
    return await _publish(intake, claim.record_id, plan, decision)


async def _received(intake: Intake, plan: dict[str, Any]) -> dict[str, Any] | None:
    """The receipt of a planned new dossier whose events are out: intake's view has it, once the
    consumer has folded what was published on its partition (a retry right after the answer)."""
    if not plan.get("new_dossier"):
        return None
    dossier_id = plan["key"]
    if not await intake.dossiers.known(dossier_id):
        await intake.freshness.wait_folded(
            intake.topics.dossier_events, key=dossier_id, within=intake.view_wait_seconds
        )
        if not await intake.dossiers.known(dossier_id):
            return None
    response: dict[str, Any] = plan["response"]
    return response


def _give_back(intake: Intake, plan: dict[str, Any] | None) -> None:
    if plan is not None:
        intake.dossiers.give_back_code(plan["response"]["dossier_code"])


async def _publish(intake: Intake, rid: str, plan: dict[str, Any], decision: Decision | None = None) -> dict[str, Any]:
    """Publish a plan's events and answer (the tail every attempt shares); `decision` is the plan's,
    when this request made it (not parsed back from the plan then). A new dossier's view is left to
    intake's consumer, and its record planned (the module docstring); any other decision is folded into
    intake's views at once and its answer stored."""
    store = intake.idempotency
    decision = decision or _decision(plan)
    try:
        await intake.publisher.publish(decision.topic, decision.key, decision.events)
    except BrokerUnavailable as exc:
        # The plan (with its event_ids) stays: a retry publishes the same events, never new ones.
        await store.release(rid)
        raise Unavailable(
            "broker_unavailable",
            f"the event broker did not acknowledge: {exc}",
            retry_after=intake.retry_after_seconds,
        ) from exc
    if not plan.get("new_dossier"):
        await _fold(intake, decision)
        await store.complete(rid, decision.response)
    return decision.response


async def _fold(intake: Intake, decision: Decision) -> None:
    """Update intake's own views at once (read-your-writes); the consumers fold the same events
    idempotently, so a failure here only delays the view."""
    try:
        for event in decision.events:
            if isinstance(event, DossierEvent):
                await intake.dossiers.apply(event, phone_hash=decision.phone_hash)
            else:
                await intake.catalogue.apply(event)
    except Exception:
        log.exception("could not fold published events into intake's views; the consumer will")


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
