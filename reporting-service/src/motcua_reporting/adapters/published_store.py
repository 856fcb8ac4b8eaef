"""Published reports: each stored once, as the exact JSON text it was answered with, outside the
read-model generations (a rebuild never touches them), so it reads back unchanged for ever."""

from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from .read_models import ReadModels

COLLECTION = "reporting_published"


class PublishedStore:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._reports = db[COLLECTION]

    async def add(self, report_id: str, meta: dict[str, Any], body: str) -> None:
        """`meta` (period, scope, time, who) for listing; `body` is served as is."""
        await self._reports.insert_one({"_id": report_id, **meta, "body": body})

    async def get(self, report_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = await self._reports.find_one({"_id": report_id})
        return found

    async def list(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return (
            await self._reports.find(query, {"body": 0}).sort([("published_at", DESCENDING), ("_id", 1)]).to_list(None)
        )


async def folded_positions(models: ReadModels) -> dict[str, int]:
    """Per stream (`p0`, `p1`, ... the partitions of dossier.events; `direct`), the next position not
    yet folded: the end of the stream's latest claim, plus one."""
    streams = [doc["_id"] for doc in await models.streams.find({}).to_list(None)]
    positions: dict[str, int] = {}
    for stream in sorted(streams):
        latest = await models.claims.find_one({"stream": stream}, sort=[("start", DESCENDING)])
        if latest is not None:
            positions[stream] = int(latest["end"]) + 1
    return positions
