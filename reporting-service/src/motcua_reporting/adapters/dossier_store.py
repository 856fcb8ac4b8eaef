"""The dossier read model, and how each event changes it and the counters exactly once.

One document per dossier holds its facts, the ids of the events applied (`applied`), a `version`,
the derived view (queryable fields), the counter keys it currently contributes to
(`contributions`), and -- between two steps -- the counter change still to apply (`pending`).

Applying an event (see `apply`):
1. read the document; if it has a `pending` counter change, apply it first (idempotent);
2. if the event id is in `applied`, stop: redelivered or replayed;
3. derive the new view from all facts + the new one, and the new contributions;
4. write the document with a compare-and-set on `version`: the new fact, the event id, the view and
   `pending = {v, add, remove}` (the difference of contributions) in ONE single-document update;
   a concurrent writer makes the filter miss and we start again at 1;
5. apply `pending` to the counters (versioned, idempotent: see counter_store), then clear it
   (only if it is still that version's).
A crash after 4 leaves `pending` in the document: the redelivered event (it was not acknowledged)
or the start-up repair applies it. A crash before 4 changed nothing.
"""

import logging
from typing import Any

from motcua_shared import events as ev
from pymongo.errors import DuplicateKeyError

from ..domain.catalogue import Procedure
from ..domain.contributions import contributions
from ..domain.dossier import OPEN, DossierView, derive, fact_of, instant
from ..domain.timeliness import local_date
from .counter_store import CounterStore
from .read_models import ReadModels

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 50


def view_fields(view: DossierView) -> dict[str, Any]:
    """The queryable fields of the dossier document (no personal data)."""
    def day(at: str | None) -> str | None:
        return local_date(instant(at)).isoformat() if at else None

    latest = view.facts[-1]["at"] if view.facts else None
    return {
        "dossier_code": view.code, "procedure_code": view.procedure, "agency_code": view.agency,
        "handling_agency": view.agency_at(latest) if latest else view.agency,
        "channel": view.channel, "status": view.status, "outcome": view.outcome,
        "received_at": view.received_at, "received_date": day(view.received_at) or OPEN,
        "accepted_at": view.accepted_at, "original_due_at": view.original_due_at, "due_at": view.due_at,
        "due_date": day(view.due_at), "result_at": view.result_at, "result_date": day(view.result_at),
        "returned_at": view.returned_at, "delivery": view.delivery,
        "timeliness": view.timeliness.value if view.timeliness else None,
        "refused_at": view.refused_at, "withdrawn_at": view.withdrawn_at, "closed_date": view.closed_date,
        "rating": view.rating, "rated_at": view.rated_at, "paid_online": view.paid_online,
        "pauses": [{"kind": p.kind, "start": p.start, "end": p.end} for p in view.pauses],
        "apology": {"letters": len(view.apologies), "in_time": view.apology_in_time},
        "late_without_apology": view.late_without_apology,
        "anomalies": view.anomalies,
    }


class DossierProjection:
    """Folds dossier events into the dossier documents and the counters of one generation."""

    def __init__(self, models: ReadModels) -> None:
        self._models = models
        self._dossiers = models.dossiers
        self.counters = CounterStore(models.counters)

    async def apply(self, event: ev.DossierEvent) -> bool:
        """Apply `event` once; False when it had already been applied."""
        fact = fact_of(event)
        dossier_id = event.dossier_id
        for _ in range(MAX_ATTEMPTS):
            doc = await self._dossiers.find_one({"_id": dossier_id})
            if doc is not None and doc.get("pending"):
                await self._settle(dossier_id, doc["pending"])
            if doc is not None and fact["id"] in doc["applied"]:
                return False
            facts = [*(doc["facts"] if doc else []), fact]
            view = derive(facts)
            old = set(doc["contributions"]) if doc else set()
            new = {key.id for key in contributions(view)}
            version = (int(doc["version"]) if doc else 0) + 1
            fields = {**view_fields(view), "facts": view.facts, "contributions": sorted(new), "version": version}
            if doc is None or not doc.get("procedure_known"):
                fields.update(await self._catalogue_fields(view.procedure))
            pending = {"v": version, "add": sorted(new - old), "remove": sorted(old - new)}
            has_change = bool(pending["add"] or pending["remove"])
            if has_change:
                fields["pending"] = pending
            if doc is None:
                try:
                    await self._dossiers.insert_one({"_id": dossier_id, "applied": [fact["id"]], **fields})
                except DuplicateKeyError:
                    continue  # another consumer created it first: start again
            else:
                update: dict[str, Any] = {"$set": fields, "$push": {"applied": fact["id"]}}
                if not has_change:
                    update["$unset"] = {"pending": ""}
                written = await self._dossiers.update_one({"_id": dossier_id, "version": doc["version"]}, update)
                if not written.matched_count:
                    continue  # changed under us: start again from the new version
            if has_change:
                await self._settle(dossier_id, pending)
            return True
        raise RuntimeError(f"could not apply {event.event_id} to dossier {dossier_id}: too much contention")

    async def _settle(self, dossier_id: str, pending: dict[str, Any]) -> None:
        await self.counters.apply(dossier_id, pending)
        await self._dossiers.update_one({"_id": dossier_id, "pending.v": pending["v"]}, {"$unset": {"pending": ""}})

    async def _catalogue_fields(self, procedure_code: str | None) -> dict[str, Any]:
        if not procedure_code:
            return {}
        doc = await self._models.procedures.find_one({"_id": procedure_code})
        if doc is None:
            return {"procedure_known": False}
        return {"procedure_known": True, "admin_level": doc.get("admin_level"),
                "online_level": doc.get("online_level"), "fee": doc.get("fee")}

    async def repair(self) -> int:
        """Apply every counter change left pending by a crash; the number repaired."""
        repaired = 0
        async for doc in self._dossiers.find({"pending": {"$exists": True}}, {"pending": 1}):
            await self._settle(doc["_id"], doc["pending"])
            repaired += 1
        if repaired:
            log.warning("repaired %d pending counter changes", repaired)
        return repaired

    async def label_procedure(self, procedure: Procedure) -> None:
        """Copy a procedure's levels onto its dossiers (display only: reports join the catalogue)."""
        await self._dossiers.update_many(
            {"procedure_code": procedure.code},
            {"$set": {"procedure_known": True, "admin_level": procedure.admin_level,
                      "online_level": procedure.online_level, "fee": procedure.fee}},
        )
