"""Processing's dossier store on the real MongoDB-protocol store (FerretDB), under concurrency: many
writers of one dossier at once, each event delivered twice, lose nothing and apply nothing twice."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

from motcua_processing.adapters.dossier_store import DossierStore
from motcua_shared import events as ev
from motcua_shared.calendar import PROVINCE_TZ, load_calendar
from motcua_shared.lifecycle import DossierStatus
from motcua_shared.mongo import find_each
from pymongo.asynchronous.database import AsyncDatabase
from test_processing_support import submitted

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=PROVINCE_TZ)


async def test_concurrent_writers_of_one_dossier_apply_each_event_exactly_once(mongo_db: AsyncDatabase[Any]) -> None:
    store = DossierStore(mongo_db, load_calendar(), source="processing-service")
    await store.ensure_indexes()
    dossier_id = str(uuid.uuid4())
    await store.apply(submitted(dossier_id, "S-250303-0001", "S", "S.1", T0))
    # Facts that keep the status, so any order is legal: 25 transfers, each delivered twice, all at once.
    transfers = [
        ev.DossierTransferred(
            occurred_at=T0 + timedelta(minutes=i),
            source="integrator",
            dossier_id=dossier_id,
            data=ev.TransferredData(to_agency_code=f"A{i}"),
        )
        for i in range(25)
    ]
    results = await asyncio.gather(*(store.apply(event) for event in transfers + transfers))

    assert sum(changed for _, changed in results) == 25
    dossier = await store.get(dossier_id)
    assert dossier is not None
    ids = [h.event_id for h in dossier.history]
    assert len(ids) == len(set(ids)) == 26
    assert set(ids[1:]) == {str(e.event_id) for e in transfers}
    assert await mongo_db["dossier_log"].count_documents({"dossier_id": dossier_id}) == 26
    view = await mongo_db["dossiers"].find_one({"_id": dossier_id})
    assert view["version"] == 26 and len(view["history"]) == 26


async def test_a_view_left_behind_by_a_crash_is_repaired_and_the_event_not_applied_again(
    mongo_db: AsyncDatabase[Any],
) -> None:
    store = DossierStore(mongo_db, load_calendar(), source="processing-service")
    dossier_id = str(uuid.uuid4())
    first = submitted(dossier_id, "S-250303-0002", "S", "S.1", T0)
    accepted = ev.DossierAccepted(
        occurred_at=T0,
        source="intake-service",
        dossier_id=dossier_id,
        data=ev.AcceptedData(due_at=T0 + timedelta(days=3)),
    )
    await store.apply(first)
    await store.apply(accepted)
    # A crash right after the log insert of `accepted`: the view still shows the submission.
    await mongo_db["dossiers"].update_one(
        {"_id": dossier_id}, {"$set": {"version": 1, "status": "submitted", "seen": [str(first.event_id)]}}
    )
    dossier, changed = await store.apply(accepted)  # redelivered, since it was never acknowledged
    assert not changed and dossier.status is not None and dossier.status.value == "accepted"
    view = await mongo_db["dossiers"].find_one({"_id": dossier_id})
    assert (view["version"], view["status"]) == (2, "accepted")


def _transfer(dossier_id: str, to: str, minutes: int) -> ev.DossierTransferred:
    return ev.DossierTransferred(
        occurred_at=T0 + timedelta(minutes=minutes),
        source="integrator",
        dossier_id=dossier_id,
        data=ev.TransferredData(to_agency_code=to),
    )


async def test_a_batch_folds_each_event_once_and_a_dossier_changed_meanwhile_by_an_officer_on_top(
    mongo_db: AsyncDatabase[Any],
) -> None:
    store = DossierStore(mongo_db, load_calendar(), source="processing-service")
    await store.ensure_indexes()
    acted_on, quiet = str(uuid.uuid4()), str(uuid.uuid4())
    first = submitted(acted_on, "S-250303-0003", "S", "S.1", T0)
    await store.apply(first)
    # An officer's acceptance, folded by the action itself, whose view write has not landed yet when
    # the batch reads the views: the batch's log entry loses to it.
    accepted = ev.DossierAccepted(
        occurred_at=T0,
        source="processing-service",
        actor="officer-lan",
        dossier_id=acted_on,
        data=ev.AcceptedData(due_at=T0 + timedelta(days=3)),
    )
    await store.apply(accepted, who="officer-lan")
    await mongo_db["dossiers"].update_one(
        {"_id": acted_on}, {"$set": {"version": 1, "status": "submitted", "seen": [str(first.event_id)]}}
    )
    moved = _transfer(acted_on, "S2", 5)
    other = submitted(quiet, "S-250303-0004", "S", "S.1", T0)
    other_moved = _transfer(quiet, "S3", 6)
    # Every event twice in the batch, the officer's too (it comes back from Kafka), and the first again.
    batch = [first, accepted, moved, other, other_moved, moved, accepted, other, other_moved]

    folded = {f.dossier.dossier_id: f for f in await store.apply_many(batch)}

    assert folded[acted_on].applied == (str(moved.event_id),)
    assert folded[quiet].applied == (str(other.event_id), str(other_moved.event_id))
    for dossier_id, expected in (
        (acted_on, [first, accepted, moved]),
        (quiet, [other, other_moved]),
    ):
        dossier = await store.get(dossier_id)
        assert dossier is not None
        assert [h.event_id for h in dossier.history] == [str(e.event_id) for e in expected]
    acted = await store.get(acted_on)
    assert acted is not None
    assert (acted.status, acted.agency_code, acted.history[1].who) == (DossierStatus.ACCEPTED, "S2", "officer-lan")
    # The quiet dossier's two events are one change: one log entry, the view at version 1.
    assert await mongo_db["dossier_log"].count_documents({"dossier_id": quiet}) == 1
    view = await mongo_db["dossiers"].find_one({"_id": quiet})
    assert (view["version"], view["agency_code"], len(view["seen"])) == (1, "S3", 2)

    # The same batch delivered again changes nothing.
    assert await store.apply_many(batch) == []
    assert await mongo_db["dossier_log"].count_documents({"dossier_id": quiet}) == 1


async def test_get_many_reads_each_dossier_as_of_its_newest_change_even_where_the_view_trails(
    mongo_db: AsyncDatabase[Any],
) -> None:
    store = DossierStore(mongo_db, load_calendar(), source="processing-service")
    fresh, trailing = str(uuid.uuid4()), str(uuid.uuid4())
    await store.apply(submitted(fresh, "S-250303-0011", "S", "S.1", T0))
    first = submitted(trailing, "S-250303-0012", "S", "S.1", T0)
    await store.apply(first)
    await store.apply(_transfer(trailing, "B", 1))
    # A crash right after the log insert of the transfer: the view still shows the submission.
    await mongo_db["dossiers"].update_one(
        {"_id": trailing}, {"$set": {"version": 1, "agency_code": "S", "seen": [str(first.event_id)]}}
    )

    found = await store.get_many([fresh, trailing, str(uuid.uuid4())])

    assert set(found) == {fresh, trailing}  # a dossier never seen is not there
    assert found[trailing].agency_code == "B" and found[fresh].code == "S-250303-0011"


async def test_find_each_gives_what_one_in_query_gives_in_the_same_order(mongo_db: AsyncDatabase[Any]) -> None:
    # The inbox, the clock and the hand-over ask one equality per value (FerretDB scans for `$in`):
    # the merge must give the store's own answer, nulls and missing values first, a descending key last.
    collection = mongo_db["find_each"]
    due = [None, T0, T0 + timedelta(hours=1), T0 - timedelta(days=1)]
    await collection.insert_many(
        [
            {"_id": f"d{i:02d}", "agency_code": f"A{i % 3}", "status": f"s{i % 4}", "n": i % 5}
            | ({} if i % 7 == 0 else {"due_at": due[i % 4]})
            for i in range(40)
        ]
    )
    each = {"agency_code": ["A0", "A2"], "status": ["s1", "s2", "s3"]}
    among = {field: {"$in": values} for field, values in each.items()}
    for sort, limit in [([("due_at", 1), ("_id", 1)], 0), ([("n", -1), ("due_at", 1), ("_id", -1)], 7), (None, 0)]:
        found = await find_each(collection, each, {"n": {"$gt": 0}}, sort=sort, limit=limit)
        expected = await collection.find({"n": {"$gt": 0}, **among}, sort=sort, limit=limit).to_list()
        if sort is None:  # no order asked: the same documents
            found, expected = sorted(found, key=str), sorted(expected, key=str)
        assert [d["_id"] for d in found] == [d["_id"] for d in expected] and found


async def test_views_written_together_skip_one_already_newer_and_write_the_others(mongo_db: AsyncDatabase[Any]) -> None:
    """On FerretDB a bulk of upserts in which one meets a newer view (a duplicate key) is answered in a
    way PyMongo cannot read (KeyError 'nModified'): the clock's tick failed on it every 30 s for good."""
    store = DossierStore(mongo_db, load_calendar(), source="processing-service")
    ahead, behind = str(uuid.uuid4()), str(uuid.uuid4())
    await mongo_db["dossiers"].insert_many([{"_id": ahead, "version": 9, "n": "ahead"}, {"_id": behind, "version": 2}])

    await store._write_views([(ahead, 5, {"n": "stale"}), (behind, 3, {"n": "new"}), (str(uuid.uuid4()), 4, {})])

    views = {d["_id"]: d async for d in mongo_db["dossiers"].find({"_id": {"$in": [ahead, behind]}})}
    assert (views[ahead]["version"], views[ahead]["n"]) == (9, "ahead")
    assert (views[behind]["version"], views[behind]["n"]) == (3, "new")
