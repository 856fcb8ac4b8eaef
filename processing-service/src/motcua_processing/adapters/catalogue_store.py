"""What processing keeps of the catalogue (from `catalog.events`): each procedure's legal processing
time, needed to compute a dossier's due time on acceptance, and the agencies a dossier may be
transferred to."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from motcua_shared import events as ev
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


@dataclass(frozen=True)
class ProcedureTerms:
    code: str
    agency_code: str
    processing_time: ev.ProcessingTime
    retired: bool


class CatalogueStore:
    """Each document carries the `occurred_at` of the event it reflects (`as_of`), so a replayed
    older event never overwrites a newer state."""

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._agencies = db["agencies"]
        self._procedures = db["procedures"]

    async def apply(self, event: ev.Envelope) -> None:
        """Fold one catalogue event; applying it again, or after a newer one, changes nothing."""
        if isinstance(event, ev.AgencyRegistered):
            await self._newer(self._agencies, event.data.agency_code, event.occurred_at,
                              {"name": event.data.name, "admin_level": event.data.admin_level.value})
        elif isinstance(event, ev.ProcedurePublished):
            p = event.data
            await self._newer(self._procedures, p.procedure_code, event.occurred_at, {
                "agency_code": p.agency_code,
                "processing_time": {"value": str(p.processing_time.value), "unit": p.processing_time.unit.value},
                "retired": False,
            })
        elif isinstance(event, ev.ProcedureRetired):
            await self._newer(self._procedures, event.data.procedure_code, event.occurred_at, {"retired": True})

    @staticmethod
    async def _newer(collection: Any, code: str, as_of: datetime, fields: dict[str, Any]) -> None:
        try:
            await collection.update_one(
                {"_id": code, "$or": [{"as_of": {"$lte": as_of}}, {"as_of": {"$exists": False}}]},
                {"$set": {**fields, "as_of": as_of}},
                upsert=True,
            )
        except DuplicateKeyError:
            pass  # the stored state is newer than this event: keep it

    async def procedure(self, code: str) -> ProcedureTerms | None:
        doc = await self._procedures.find_one({"_id": code, "processing_time": {"$exists": True}})
        if doc is None:
            return None
        pt = doc["processing_time"]
        return ProcedureTerms(
            code=code, agency_code=doc["agency_code"], retired=bool(doc.get("retired")),
            processing_time=ev.ProcessingTime(value=Decimal(pt["value"]), unit=ev.TimeUnit(pt["unit"])),
        )

    async def agency_exists(self, code: str) -> bool:
        return await self._agencies.find_one({"_id": code, "name": {"$exists": True}}) is not None
