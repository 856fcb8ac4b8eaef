"""Issue 16 at intake, as a user notices it: dossier codes come in blocks per instance (two intakes
receiving at once never share a code; a restarted one goes on after a gap, never reusing a number),
and intake's consumer folds dossier.events in batches, each event once however often it comes."""

import asyncio
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from motcua_intake.adapters.code_blocks import DEFAULT_BLOCK_SIZE
from motcua_shared import events as ev
from motcua_shared.auth import Role
from motcua_shared.kafka import make_broker
from motcua_shared.topics import Topics
from pymongo.asynchronous.database import AsyncDatabase
from support.infrastructure import Infrastructure
from test_intake_support import (
    calendar_options,
    dossier_body,
    eventually,
    idem,
    intake_settings,
    read_records,
    running_intake,
    seed_catalogue,
    token,
)

PHONE = "0912345678"


def sequence(code: str, agency: str) -> int:
    match = re.fullmatch(rf"{agency}-\d{{6}}-(\d{{4}})", code)
    assert match, code
    return int(match[1])


async def receive(client: httpx.AsyncClient, agency: str, count: int) -> list[int]:
    officer = token(Role.OFFICER, agency=agency)

    async def one() -> int:
        r = await client.post("/v1/dossiers", headers=idem(officer), json=dossier_body(f"{agency}.1", agency, "direct"))
        assert r.status_code == 201, r.text
        return sequence(r.json()["dossier_code"], agency)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def test_two_intakes_never_share_a_code_and_a_restarted_one_goes_on_after_a_gap(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    def settings() -> Any:
        return intake_settings(
            infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
        )

    agency = f"B{uuid.uuid4().hex[:6].upper()}"
    async with running_intake(settings(), **calendar_options()) as first:
        await seed_catalogue(first, agency, {f"{agency}.1": 4})
        async with running_intake(settings(), **calendar_options()) as second:
            numbers = await asyncio.gather(receive(first, agency, 12), receive(second, agency, 12))
        assert len(set(numbers[0]) | set(numbers[1])) == 24  # never the same code twice
        for mine in numbers:  # each instance numbers from its own block, in order, without holes
            assert sorted(mine) == list(range(min(mine), min(mine) + 12))
            assert (min(mine) - 1) % DEFAULT_BLOCK_SIZE == 0
        assert min(numbers[0] + numbers[1]) == 1
    # Restarted: what was left of its block is skipped, the day goes on above every block taken.
    async with running_intake(settings(), **calendar_options()) as restarted:
        (after,) = await receive(restarted, agency, 1)
    assert after == 2 * DEFAULT_BLOCK_SIZE + 1


async def test_a_batch_with_a_duplicate_event_folds_it_once(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    """A history arriving all at once (one batch), with a suspension delivered twice after the dossier
    resumed: tracking shows it resumed, with the moved appointment, not suspended again."""
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    agency = f"B{uuid.uuid4().hex[:6].upper()}"
    dossier_id, code = str(uuid.uuid4()), f"{agency}-250303-0001"
    at = ev.now().replace(microsecond=0) - timedelta(days=3)
    due, moved = at + timedelta(days=10), at + timedelta(days=12)
    applicant = ev.Applicant(full_name="Trần Thị Bình", phone=PHONE)
    suspended = ev.DossierSuspended(
        occurred_at=at + timedelta(days=1),
        source="processing-service",
        dossier_id=dossier_id,
        data=ev.SuspendedData(reason="chờ ý kiến cơ quan khác"),
    )
    history: list[ev.DossierEvent] = [
        ev.DossierSubmitted(
            occurred_at=at,
            source="legacy-migration",
            dossier_id=dossier_id,
            data=ev.SubmittedData(
                dossier_code=code,
                procedure_code=f"{agency}.1",
                agency_code=agency,
                channel=ev.Channel.DIRECT,
                applicant=applicant,
            ),
        ),
        ev.DossierAccepted(
            occurred_at=at, source="legacy-migration", dossier_id=dossier_id, data=ev.AcceptedData(due_at=due)
        ),
        suspended,
        ev.DossierResumed(
            occurred_at=at + timedelta(days=2),
            source="processing-service",
            dossier_id=dossier_id,
            data=ev.ResumedData(due_at=moved),
        ),
        suspended,  # delivered again
    ]
    async with running_intake(settings, **calendar_options()) as intake:
        broker = make_broker(infrastructure.kafka_bootstrap_servers)
        async with broker:
            await broker.start()
            for event in history:
                await broker.publish(event.to_bytes(), topic=topics.dossier_events, key=dossier_id.encode())

        async def tracked() -> dict[str, Any] | None:
            r = await intake.get(f"/v1/track/{code}", params={"phone": PHONE})
            shown: dict[str, Any] = r.json()
            folded = r.status_code == 200 and (shown.get("as_of") or {}).get("consumer_lag") == 0
            return shown if folded else None  # the whole history folded

        shown = await eventually(tracked)
    assert shown is not None, "intake did not fold the history"
    assert shown["status"] == "in_progress"
    assert shown["appointment_at"] is not None
    assert datetime.fromisoformat(shown["appointment_at"]) == moved
    view = await mongo_db["dossiers"].find_one({"_id": dossier_id})
    assert view is not None and len(view["applied"]) == len(set(view["applied"])) == 4


async def test_an_event_intake_cannot_fold_is_dead_lettered_and_the_rest_of_its_batch_is_folded(
    infrastructure: Infrastructure, topics: Topics, mongo_db: AsyncDatabase[Any]
) -> None:
    """An import that gives one dossier code to two dossiers: the second cannot enter intake's view
    (codes are unique there); it goes to dossier.events.dlq with the reason, and the dossier after it
    in the same batch is tracked as usual."""
    settings = intake_settings(
        infrastructure.kafka_bootstrap_servers, infrastructure.mongodb_url, mongo_db.name, topics
    )
    agency = f"B{uuid.uuid4().hex[:6].upper()}"
    at = ev.now().replace(microsecond=0)

    def submitted(code: str) -> ev.DossierSubmitted:
        return ev.DossierSubmitted(
            occurred_at=at,
            source="legacy-migration",
            dossier_id=str(uuid.uuid4()),
            data=ev.SubmittedData(
                dossier_code=code,
                procedure_code=f"{agency}.1",
                agency_code=agency,
                channel=ev.Channel.ONLINE,
                applicant=ev.Applicant(full_name="Lê Văn Cường", phone=PHONE),
            ),
        )

    first, twin, after = (
        submitted(f"{agency}-250303-0001"),
        submitted(f"{agency}-250303-0001"),
        submitted(f"{agency}-250303-0002"),
    )
    async with running_intake(settings, **calendar_options()) as intake:
        broker = make_broker(infrastructure.kafka_bootstrap_servers)
        async with broker:
            await broker.start()
            for event in (first, twin, after):
                await broker.publish(event.to_bytes(), topic=topics.dossier_events, key=event.dossier_id.encode())

        async def tracked() -> bool:
            r = await intake.get(f"/v1/track/{after.data.dossier_code}", params={"phone": PHONE})
            return r.status_code == 200

        assert await eventually(tracked), "the dossier after the bad one was not folded"
        dead = await read_records(
            infrastructure.kafka_bootstrap_servers,
            f"{topics.dossier_events}.dlq",
            match=lambda r: r.value.get("dossier_id") == twin.dossier_id,
            until=lambda found: len(found) >= 1,
        )
    assert len(dead) == 1
    assert await mongo_db["dossiers"].find_one({"_id": twin.dossier_id}) is None
