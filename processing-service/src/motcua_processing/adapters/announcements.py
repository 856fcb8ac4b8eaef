"""Claims to announce something about a dossier exactly once (overdue, due soon), shared by every
processing instance.

A claim is an insert under the announcement's own event id (deterministic: uuid5 of the dossier id
and the kind), which FerretDB decides atomically, unlike a conditional update. The claim keeps the
event to publish, so that if its holder dies between claim and publish, whoever takes the claim
over (again by a unique insert) publishes the very same event. If the holder died after publishing
but before marking the claim published, the taker finds the event already folded into the dossier
(by the holder, or by processing's own consumer reading it back) and only marks the claim. Only if
the consumer trails by more than the lease can a second copy reach the topic; it carries the same
event_id, which every consumer applies once."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from motcua_shared import events as ev
from motcua_shared.mongo import insert_once
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

PUBLISHING = "publishing"
PUBLISHED = "published"
_DUPLICATE_KEY = 11000


class AnnouncementStore:
    def __init__(self, db: AsyncDatabase[Any], *, lease: timedelta) -> None:
        self._claims = db["announcements"]
        self._takeovers = db["announcement_takeovers"]
        self._lease = lease

    async def claim(self, event: ev.DossierEvent, kind: str) -> bool:
        """True if this caller won the right to publish `event` (nobody claimed it before)."""
        return await insert_once(self._claims, _claim_document(event, kind))

    async def claim_many(self, wanted: Sequence[tuple[ev.DossierEvent, str]]) -> set[str]:
        """`claim` for several events in one unordered insert: the event ids this caller won (a
        duplicate key is a claim someone else holds, as with one)."""
        if not wanted:
            return set()
        documents = [_claim_document(event, kind) for event, kind in wanted]
        lost: set[int] = set()
        try:
            await self._claims.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            errors = error.details.get("writeErrors", [])
            if any(e.get("code") != _DUPLICATE_KEY for e in errors):
                raise
            lost = {int(e["index"]) for e in errors}
        return {doc["_id"] for index, doc in enumerate(documents) if index not in lost}

    async def mark_published(self, event_id: str) -> None:
        await self._claims.update_one(
            {"_id": event_id}, {"$set": {"state": PUBLISHED, "published_at": datetime.now(UTC)}}
        )

    async def take_over_stale(self) -> list[ev.DossierEvent]:
        """Claims left in `publishing` longer than the lease (their holder is presumed dead), each now
        held by this caller alone, to publish again with the same event id."""
        stale_before = datetime.now(UTC) - self._lease
        taken: list[ev.DossierEvent] = []
        # Read to the end before writing: FerretDB holds a backend connection per open cursor.
        stale = await self._claims.find({"state": PUBLISHING, "claimed_at": {"$lt": stale_before}}).to_list()
        for doc in stale:
            attempt = int(doc.get("takeovers", 0)) + 1
            if not await insert_once(self._takeovers, {"_id": f"{doc['_id']}#{attempt}", "at": datetime.now(UTC)}):
                continue  # another instance took it over
            await self._claims.update_one(
                {"_id": doc["_id"]}, {"$set": {"takeovers": attempt, "claimed_at": datetime.now(UTC)}}
            )
            event = ev.parse_event(doc["event"].encode(), expect=ev.DOSSIER_EVENT_TYPES)
            assert isinstance(event, ev.DossierEvent)
            taken.append(event)
        return taken

    async def state(self, event_id: str) -> str | None:
        doc = await self._claims.find_one({"_id": event_id})
        return doc["state"] if doc else None


def _claim_document(event: ev.DossierEvent, kind: str) -> dict[str, Any]:
    return {
        "_id": str(event.event_id),
        "dossier_id": event.dossier_id,
        "kind": kind,
        "state": PUBLISHING,
        "claimed_at": datetime.now(UTC),
        "takeovers": 0,
        "event": event.to_bytes().decode(),
    }
