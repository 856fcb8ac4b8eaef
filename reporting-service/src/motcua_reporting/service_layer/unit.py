"""What reporting's API use cases read: the reports of the active read-model generation and the
published reports. Built once in bootstrap.py; the routes get it through api/deps.py."""

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from ..adapters.published_store import PublishedStore
from ..adapters.read_cache import read_meta, versions_of
from ..adapters.read_models import ReadModels
from .reports import Reports


@dataclass(frozen=True)
class Reporting:
    db: AsyncDatabase[Any]
    published: PublishedStore

    async def reports(self) -> Reports:
        # The active generation is looked up per request, so a finished rebuild shows at once; the
        # same read gives the version of what it has folded (adapters/read_cache.py).
        meta = await read_meta(self.db)
        generation = next((str(doc["active"]) for doc in meta if doc["_id"] == "generation"), "")
        models = ReadModels(self.db, generation)
        return Reports(models, versions_of(meta, models.prefix))
