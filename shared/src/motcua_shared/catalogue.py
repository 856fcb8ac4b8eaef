"""The procedure catalogue as every service keeps it: agencies and procedures folded from
`catalog.events`, whoever published them (intake's loader, the national portal, an import).

An agency dissolved by `agency.superseded` (the two-level local government, 1 July 2025) hands its
procedures to its successor from the effective date: the supersession is kept apart and applied when
a procedure is read, so that it holds whatever order the agency's and the procedures' events arrive in
(they are keyed differently, hence on different partitions)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from . import events as ev
from .calendar import PROVINCE_TZ, parse_cutoff
from .events import AdminLevel, ProcessingTime

# A chain of successions longer than this is a cycle in bad data: stop following it.
_MAX_SUCCESSIONS = 10
_HANDOVER_NAMESPACE = uuid.UUID("2b7f6a1e-93c4-4d0e-8f51-7a0c2e9d4b63")


def handover_event_id(dossier_id: str, agency_code: str) -> uuid.UUID:
    """The event id of the one `dossier.transferred` that hands a dossier of dissolved `agency_code`
    over to its successor: processing and an imported history (motcua_stack.histories) give the same."""
    return uuid.uuid5(_HANDOVER_NAMESPACE, f"{dossier_id}:superseded:{agency_code}")


def catalogue_code(event: ev.Envelope) -> str:
    """The agency or procedure code a catalogue event is about: its Kafka key on `catalog.events`, and
    what orders its folds (events of one code in order, different codes in any order)."""
    data: Any = event.data  # AgencyRegisteredData or a procedure's data: one of the two codes
    return str(getattr(data, "procedure_code", None) or data.agency_code)


def province_today() -> date:
    return datetime.now(PROVINCE_TZ).date()


@dataclass(frozen=True)
class Succession:
    """`agency_code` dissolved; `successor_code` responsible from `effective_date` on."""

    agency_code: str
    successor_code: str
    effective_date: date
    reason: str | None = None


def responsible_agency(code: str, successions: dict[str, Succession], on: date) -> str:
    """The agency responsible on day `on` for what `code` was responsible for: `code` itself, or its
    successor (and the successor's, in turn) when superseded by then."""
    for _ in range(_MAX_SUCCESSIONS):
        succession = successions.get(code)
        if succession is None or succession.effective_date > on:
            return code
        code = succession.successor_code
    return code


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    admin_level: AdminLevel
    parent_code: str | None = None
    superseded_by: Succession | None = None


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
    # Issue 18 item 3: the daily receipt cut-off and the online processing time (calendar/receipt.py).
    receipt_cutoff: time | None = None
    online_processing_time: ProcessingTime | None = None
    supplement_time: Decimal | None = None  # working days an applicant has for papers asked (issue 18)

    @property
    def accepts_online(self) -> bool:
        """Level 2 is information only; online dossiers need level 3 (partial) or 4 (full process)."""
        return self.online_level >= 3


class CatalogueStore:
    """Agencies and procedures, each document carrying the `occurred_at` of the event it reflects
    (`as_of`), so a replayed older event never overwrites a newer state."""

    def __init__(self, db: AsyncDatabase[Any], *, today: Callable[[], date] = province_today, prefix: str = "") -> None:
        # `prefix`: reporting keeps one catalogue per read-model generation (`<generation>_reporting_`).
        self._agencies = db[f"{prefix}agencies"]
        self._procedures = db[f"{prefix}procedures"]
        self._successions = db[f"{prefix}agency_successions"]
        self._today = today  # the day on which supersessions are in force (business time in tests)

    async def ensure_indexes(self) -> None:
        await self._procedures.create_index([("agency_code", ASCENDING)])

    async def apply(self, event: ev.Envelope) -> None:
        """Fold one catalogue event; applying it again, or after a newer one, changes nothing."""
        if isinstance(event, ev.AgencyRegistered):
            d = event.data
            await self._newer(
                self._agencies,
                d.agency_code,
                event.occurred_at,
                {
                    "name": d.name,
                    "admin_level": d.admin_level.value,
                    "parent_code": d.parent_code,
                },
            )
        elif isinstance(event, ev.ProcedurePublished):
            p = event.data
            await self._newer(
                self._procedures,
                p.procedure_code,
                event.occurred_at,
                {
                    "name": p.name,
                    "agency_code": p.agency_code,
                    "admin_level": p.admin_level.value,
                    "online_level": p.online_level,
                    "processing_time": {"value": str(p.processing_time.value), "unit": p.processing_time.unit.value},
                    "fee": None if p.fee is None else str(p.fee),
                    "retired": False,
                    "receipt_cutoff": p.receipt_cutoff,
                    "online_processing_time": None
                    if p.online_processing_time is None
                    else {"value": str(p.online_processing_time.value), "unit": p.online_processing_time.unit.value},
                    "supplement_time": None if p.supplement_time is None else str(p.supplement_time.value),
                    # The latest publication decides: one without a field is reported under "other".
                    "field": None if p.field is None else p.field.model_dump(),
                },
            )
        elif isinstance(event, ev.ProcedureRetired):
            # Retiring a procedure we never saw still records it, so a late publish cannot revive it.
            await self._newer(self._procedures, event.data.procedure_code, event.occurred_at, {"retired": True})
        elif isinstance(event, ev.AgencySuperseded):
            succession = event.data
            # A replay changes nothing; a later correction (another successor or date) wins.
            await self._newer(
                self._successions,
                succession.agency_code,
                event.occurred_at,
                {
                    "successor_code": succession.successor_code,
                    "effective_date": succession.effective_date.isoformat(),
                    "reason": succession.reason,
                },
            )

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

    async def successions(self) -> dict[str, Succession]:
        """Every supersession known, by the dissolved agency's code (a few hundred at most)."""
        docs = await self._successions.find({"successor_code": {"$exists": True}}).to_list()
        return {
            d["_id"]: Succession(
                d["_id"], d["successor_code"], date.fromisoformat(d["effective_date"]), d.get("reason")
            )
            for d in docs
        }

    async def responsible(self, code: str, on: date | None = None) -> str:
        """The agency responsible on `on` (default: today) for `code`'s procedures and dossiers."""
        return responsible_agency(code, await self.successions(), on or self._today())

    async def in_force(self, on: date | None = None) -> dict[str, Succession]:
        """The supersessions effective by `on` (default: today)."""
        day = on or self._today()
        return {code: s for code, s in (await self.successions()).items() if s.effective_date <= day}

    async def handled_by(self, code: str, on: date | None = None) -> list[str]:
        """`code` and every dissolved agency whose work `code` has taken over by `on` (default: today);
        nothing when `code` itself was dissolved by then."""
        day = on or self._today()
        in_force = await self.in_force(day)
        if code in in_force:
            return []
        return [code, *sorted(c for c in in_force if responsible_agency(c, in_force, day) == code)]

    async def agency(self, code: str) -> Agency | None:
        doc = await self._agencies.find_one({"_id": code, "name": {"$exists": True}})
        return _agency(doc, await self.successions()) if doc else None

    async def agencies(self) -> list[Agency]:
        successions = await self.successions()
        docs = await self._agencies.find({"name": {"$exists": True}}).sort("_id", 1).to_list()
        return [_agency(d, successions) for d in docs]

    async def procedure(self, code: str) -> Procedure | None:
        """The procedure, under the agency responsible for it today (its successor's once superseded)."""
        doc = await self._procedures.find_one({"_id": code, "name": {"$exists": True}})
        return (await self._handed_over([_procedure(doc)]))[0] if doc else None

    async def procedures(self, *, agency_code: str | None = None, include_retired: bool = False) -> list[Procedure]:
        """Procedures (of `agency_code` today: its own and those handed over to it)."""
        query: dict[str, Any] = {"name": {"$exists": True}}
        if agency_code:  # its own and those of the agencies it took over (none when it was dissolved)
            query["agency_code"] = {"$in": await self.handled_by(agency_code)}
        if not include_retired:
            query["retired"] = False
        found = await self._handed_over(
            [_procedure(d) for d in await self._procedures.find(query).sort("_id", 1).to_list()]
        )
        return [p for p in found if not agency_code or p.agency_code == agency_code]

    async def _handed_over(self, procedures: list[Procedure]) -> list[Procedure]:
        in_force = await self.in_force()
        if not in_force:
            return procedures
        today = self._today()
        handed: list[Procedure] = []
        levels: dict[str, AdminLevel | None] = {}
        for procedure in procedures:
            owner = responsible_agency(procedure.agency_code, in_force, today)
            if owner != procedure.agency_code:
                if owner not in levels:
                    successor = await self._agencies.find_one({"_id": owner, "name": {"$exists": True}})
                    levels[owner] = ev.AdminLevel(successor["admin_level"]) if successor else None
                # The successor's level: a district's procedure handed to a commune is the commune's now.
                procedure = replace(procedure, agency_code=owner, admin_level=levels[owner] or procedure.admin_level)
            handed.append(procedure)
        return handed


def _agency(doc: dict[str, Any], successions: dict[str, Succession]) -> Agency:
    return Agency(
        code=doc["_id"],
        name=doc["name"],
        admin_level=ev.AdminLevel(doc["admin_level"]),
        parent_code=doc.get("parent_code"),
        superseded_by=successions.get(doc["_id"]),
    )


def _procedure(doc: dict[str, Any]) -> Procedure:
    pt = doc["processing_time"]
    return Procedure(
        code=doc["_id"],
        name=doc["name"],
        agency_code=doc["agency_code"],
        admin_level=ev.AdminLevel(doc["admin_level"]),
        online_level=int(doc["online_level"]),
        processing_time=ev.ProcessingTime(value=Decimal(pt["value"]), unit=ev.TimeUnit(pt["unit"])),
        fee=None if doc.get("fee") is None else Decimal(doc["fee"]),
        retired=bool(doc.get("retired", False)),
        receipt_cutoff=parse_cutoff(doc.get("receipt_cutoff")),
        online_processing_time=_processing_time(doc.get("online_processing_time")),
        supplement_time=None if doc.get("supplement_time") is None else Decimal(doc["supplement_time"]),
    )


def _processing_time(stored: dict[str, Any] | None) -> ProcessingTime | None:
    if stored is None:
        return None
    return ev.ProcessingTime(value=Decimal(stored["value"]), unit=ev.TimeUnit(stored["unit"]))
