"""What reporting's API use cases read: the reports of the active read-model generation and the
published reports. Built once in bootstrap.py; the routes get it through api/deps.py."""

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from ..adapters.published_store import PublishedStore
from ..adapters.read_models import active_read_models
from .reports import Reports


@dataclass(frozen=True)
class Reporting:
    db: AsyncDatabase[Any]
    published: PublishedStore

    async def reports(self) -> Reports:
        # The active generation is looked up per request, so a finished rebuild shows at once.
        return Reports(await active_read_models(self.db))
