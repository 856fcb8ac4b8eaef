"""Where the read models live: one set of collections per *generation*.

The live consumer and the API use the active generation (named in `reporting_meta`); a rebuild fills
a fresh generation from offset zero and then makes it active, so that a rebuild never shows
half-built numbers and never mixes with the old ones.
"""

from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

META = "reporting_meta"


class _Collection:
    """A collection of the generation it is read on (`<generation>_reporting_<name>`)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, models: "ReadModels", owner: type | None = None) -> AsyncCollection[Any]:
        return models.db[f"{models.prefix}{self.name}"]


@dataclass
class ReadModels:
    """The collections of one generation ("" is the default, unprefixed one)."""

    db: AsyncDatabase[Any]
    generation: str = ""

    @property
    def prefix(self) -> str:
        return f"{self.generation}_reporting_" if self.generation else "reporting_"

    dossiers = _Collection()
    days = _Collection()  # the counters of each day's month up to that day, one document per stream and day
    claims = _Collection()
    months = _Collection()  # the counters added up by month, one document per stream and month (counter_store.py)
    open_months = _Collection()  # monthly nets of the open-state counters, per stream and year (open_states.py)
    open_years = _Collection()  # yearly nets of the open-state counters, one document per stream
    streams = _Collection()
    # The catalogue, folded by motcua_shared.catalogue.CatalogueStore (adapters/catalogue_store.py).
    agencies = _Collection()
    procedures = _Collection()
    agency_successions = _Collection()

    async def ensure_indexes(self) -> None:
        await self.dossiers.create_index([("received_date", ASCENDING)])
        await self.dossiers.create_index([("closed_date", ASCENDING)])
        await self.dossiers.create_index([("procedure_code", ASCENDING)])
        await self.claims.create_index([("stream", ASCENDING), ("start", DESCENDING)])

    async def drop(self) -> None:
        for collection in vars(ReadModels).values():
            if isinstance(collection, _Collection):
                await collection.__get__(self).drop()


async def active_generation(db: AsyncDatabase[Any]) -> str:
    """The generation the service reads and writes ("" until a rebuild has switched it)."""
    doc = await db[META].find_one({"_id": "generation"})
    return str(doc["active"]) if doc else ""


async def activate_generation(db: AsyncDatabase[Any], generation: str) -> None:
    await db[META].update_one({"_id": "generation"}, {"$set": {"active": generation}}, upsert=True)


async def active_read_models(db: AsyncDatabase[Any]) -> ReadModels:
    return ReadModels(db, await active_generation(db))
