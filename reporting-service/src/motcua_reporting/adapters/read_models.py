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


@dataclass
class ReadModels:
    """The collections of one generation ("" is the default, unprefixed one)."""

    db: AsyncDatabase[Any]
    generation: str = ""

    def _collection(self, name: str) -> AsyncCollection[Any]:
        prefix = f"{self.generation}_" if self.generation else ""
        return self.db[f"{prefix}reporting_{name}"]

    @property
    def dossiers(self) -> AsyncCollection[Any]:
        return self._collection("dossiers")

    @property
    def days(self) -> AsyncCollection[Any]:
        """The counters of each day's month up to that day, one document per stream and day."""
        return self._collection("days")

    @property
    def claims(self) -> AsyncCollection[Any]:
        return self._collection("claims")

    @property
    def months(self) -> AsyncCollection[Any]:
        """The counters added up by month, one document per stream and month (counter_store.py)."""
        return self._collection("months")

    @property
    def open_months(self) -> AsyncCollection[Any]:
        """Monthly nets of the open-state counters, one document per stream and year (open_states.py)."""
        return self._collection("open_months")

    @property
    def open_years(self) -> AsyncCollection[Any]:
        """Yearly nets of the open-state counters, one document per stream."""
        return self._collection("open_years")

    @property
    def streams(self) -> AsyncCollection[Any]:
        return self._collection("streams")

    @property
    def agencies(self) -> AsyncCollection[Any]:
        return self._collection("agencies")

    @property
    def procedures(self) -> AsyncCollection[Any]:
        return self._collection("procedures")

    async def ensure_indexes(self) -> None:
        await self.dossiers.create_index([("received_date", ASCENDING)])
        await self.dossiers.create_index([("closed_date", ASCENDING)])
        await self.dossiers.create_index([("procedure_code", ASCENDING)])
        await self.claims.create_index([("stream", ASCENDING), ("start", DESCENDING)])

    async def drop(self) -> None:
        for name in ("dossiers", "days", "months", "open_months", "open_years", "claims", "streams", "agencies",
                     "procedures"):
            await self._collection(name).drop()


async def active_generation(db: AsyncDatabase[Any]) -> str:
    """The generation the service reads and writes ("" until a rebuild has switched it)."""
    doc = await db[META].find_one({"_id": "generation"})
    return str(doc["active"]) if doc else ""


async def activate_generation(db: AsyncDatabase[Any], generation: str) -> None:
    await db[META].update_one({"_id": "generation"}, {"$set": {"active": generation}}, upsert=True)


async def active_read_models(db: AsyncDatabase[Any]) -> ReadModels:
    return ReadModels(db, await active_generation(db))
