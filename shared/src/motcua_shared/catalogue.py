"""The procedure catalogue as every service keeps it: agencies and procedures folded from
`catalog.events`, whoever published them (intake's loader, the national portal, an import)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from . import events as ev
from .events import AdminLevel, ProcessingTime


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    admin_level: AdminLevel
    parent_code: str | None = None


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    agency_code: str
    admin_level: AdminLevel
    online_level: int
    processing_time: ProcessingTime
    fee: Decimal | None = None
    retired: bool = False

    @property
    def accepts_online(self) -> bool:
        """Level 2 is information only; online dossiers need level 3 (partial) or 4 (full process)."""
        return self.online_level >= 3


class CatalogueStore:
    """Agencies and procedures, each document carrying the `occurred_at` of the event it reflects
    (`as_of`), so a replayed older event never overwrites a newer state."""

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._agencies = db["agencies"]
        self._procedures = db["procedures"]

    async def ensure_indexes(self) -> None:
        await self._procedures.create_index([("agency_code", ASCENDING)])

    async def apply(self, event: ev.Envelope) -> None:
        """Fold one catalogue event; applying it again, or after a newer one, changes nothing."""
        if isinstance(event, ev.AgencyRegistered):
            d = event.data
            await self._newer(self._agencies, d.agency_code, event.occurred_at, {
                "name": d.name, "admin_level": d.admin_level.value, "parent_code": d.parent_code,
            })
        elif isinstance(event, ev.ProcedurePublished):
            p = event.data
            await self._newer(self._procedures, p.procedure_code, event.occurred_at, {
                "name": p.name, "agency_code": p.agency_code, "admin_level": p.admin_level.value,
                "online_level": p.online_level,
                "processing_time": {"value": str(p.processing_time.value), "unit": p.processing_time.unit.value},
                "fee": None if p.fee is None else str(p.fee),
                "retired": False,
            })
        elif isinstance(event, ev.ProcedureRetired):
            # Retiring a procedure we never saw still records it, so a late publish cannot revive it.
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

    async def agency(self, code: str) -> Agency | None:
        doc = await self._agencies.find_one({"_id": code, "name": {"$exists": True}})
        return _agency(doc) if doc else None

    async def agencies(self) -> list[Agency]:
        return [_agency(d) async for d in self._agencies.find({"name": {"$exists": True}}).sort("_id", 1)]

    async def procedure(self, code: str) -> Procedure | None:
        doc = await self._procedures.find_one({"_id": code, "name": {"$exists": True}})
        return _procedure(doc) if doc else None

    async def procedures(self, *, agency_code: str | None = None, include_retired: bool = False) -> list[Procedure]:
        query: dict[str, Any] = {"name": {"$exists": True}}
        if agency_code:
            query["agency_code"] = agency_code
        if not include_retired:
            query["retired"] = False
        return [_procedure(d) async for d in self._procedures.find(query).sort("_id", 1)]


def _agency(doc: dict[str, Any]) -> Agency:
    return Agency(code=doc["_id"], name=doc["name"], admin_level=ev.AdminLevel(doc["admin_level"]),
                  parent_code=doc.get("parent_code"))


def _procedure(doc: dict[str, Any]) -> Procedure:
    pt = doc["processing_time"]
    return Procedure(
        code=doc["_id"], name=doc["name"], agency_code=doc["agency_code"],
        admin_level=ev.AdminLevel(doc["admin_level"]), online_level=int(doc["online_level"]),
        processing_time=ev.ProcessingTime(value=Decimal(pt["value"]), unit=ev.TimeUnit(pt["unit"])),
        fee=None if doc.get("fee") is None else Decimal(doc["fee"]),
        retired=bool(doc.get("retired", False)),
    )
