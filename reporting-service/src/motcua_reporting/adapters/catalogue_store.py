"""The catalogue read model: agencies and procedures, latest state by business time.

Each document keeps a `stamp` (UTC occurred_at + event id) of the event that set it; an event only
overwrites an older stamp. Applying an event twice, or an older one after a newer one, changes
nothing, so the catalogue is exact under redelivery and replays without a list of applied ids.
"""

from typing import Any

from motcua_shared import events as ev

from ..domain.catalogue import Agency, Catalogue, Procedure, Succession
from ..domain.dossier import iso
from .read_models import ReadModels


def stamp(event: ev.Envelope) -> str:
    return f"{iso(event.occurred_at)}|{event.event_id}"


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


class CatalogueStore:
    def __init__(self, models: ReadModels) -> None:
        self._agencies = models.agencies
        self._procedures = models.procedures

    async def apply(self, event: ev.Envelope) -> Procedure | None:
        """Fold a catalogue event; the procedure it (re)published, if any and if it took effect."""
        data = getattr(event, "data", None)
        if isinstance(data, ev.AgencyRegisteredData):
            await self._set(self._agencies, data.agency_code, stamp(event), {
                "name": data.name, "admin_level": data.admin_level.value, "parent_code": data.parent_code})
        elif isinstance(data, ev.ProcedurePublishedData):
            fields = {"name": data.name, "agency_code": data.agency_code, "admin_level": data.admin_level.value,
                      "online_level": data.online_level, "fee": _number(data.fee),
                      # The latest publication decides: one without a field puts the procedure under "other".
                      "field": data.field.model_dump() if data.field else None}
            if await self._set(self._procedures, data.procedure_code, stamp(event), fields):
                field = data.field
                return Procedure(data.procedure_code, data.name, data.agency_code, data.admin_level.value,
                                 data.online_level, _number(data.fee), field_code=field.code if field else None,
                                 field_name=field.name if field else None)
        elif isinstance(data, ev.ProcedureRetiredData):
            # Its own stamp: retiring keeps the published fields (old dossiers still need the levels);
            # the procedure is retired while the retirement is newer than the latest publication.
            await self._set(self._procedures, data.procedure_code, stamp(event), {}, field="retired_stamp")
        elif isinstance(data, ev.AgencySupersededData):
            # On the dissolved agency's document, under a stamp of its own: a replay changes nothing,
            # a later correction wins, and a registration of the agency does not undo it.
            await self._agencies.update_one({"_id": data.agency_code}, {"$setOnInsert": {"stamp": ""}}, upsert=True)
            await self._agencies.update_one(
                {"_id": data.agency_code, "$or": [{"superseded_stamp": {"$lt": stamp(event)}},
                                                  {"superseded_stamp": {"$exists": False}}]},
                {"$set": {"successor_code": data.successor_code, "effective_date": data.effective_date.isoformat(),
                          "superseded_stamp": stamp(event)}})
        return None

    async def _set(
        self, collection: Any, code: str, new_stamp: str, fields: dict[str, Any], *, field: str = "stamp"
    ) -> bool:
        await collection.update_one({"_id": code}, {"$setOnInsert": {"stamp": "", "retired_stamp": ""}}, upsert=True)
        result = await collection.update_one(
            {"_id": code, field: {"$lt": new_stamp}}, {"$set": {**fields, field: new_stamp}}
        )
        return bool(result.matched_count)

    async def load(self) -> Catalogue:
        """The whole catalogue (small: hundreds of agencies, a few thousand procedures)."""
        catalogue = Catalogue()
        async for doc in self._agencies.find({}):
            if "name" in doc:
                catalogue.agencies[doc["_id"]] = Agency(doc["_id"], doc["name"], doc.get("admin_level"),
                                                        doc.get("parent_code"))
            if doc.get("successor_code"):
                catalogue.successions[doc["_id"]] = Succession(doc["successor_code"], doc["effective_date"])
        async for doc in self._procedures.find({"name": {"$exists": True}}):
            catalogue.procedures[doc["_id"]] = Procedure(
                doc["_id"], doc["name"], doc["agency_code"], doc.get("admin_level"), doc.get("online_level"),
                doc.get("fee"), doc.get("retired_stamp", "") > doc.get("stamp", ""),
                (doc.get("field") or {}).get("code"), (doc.get("field") or {}).get("name"))
        return catalogue
