"""Idempotency records: one per (caller, Idempotency-Key), holding the request's fingerprint, the
events decided for it (with their fixed event_ids) and, once published, the answer given.

Lifecycle of a record: `pending` (inserted first, under a unique _id, so concurrent duplicates
cannot both proceed) -> `planned` (events decided, not yet acknowledged by the broker) ->
`completed` (answer stored). A pending/planned record holds a lease; a retry after the lease ran
out (or after a 503 released it) takes the record over and publishes the SAME planned events."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError


@dataclass(frozen=True)
class IdempotencyRecord:
    record_id: str
    fingerprint: str
    state: str  # pending | planned | completed
    lease_until: datetime
    plan: dict[str, Any] | None
    response: dict[str, Any] | None


def record_id(subject: str, key: str) -> str:
    return hashlib.sha256(f"{subject}\x00{key}".encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, db: AsyncDatabase[Any], *, lease: timedelta) -> None:
        self._records = db["idempotency_keys"]
        self._lease = lease

    async def ensure_indexes(self) -> None:
        # The _id (caller + key) is unique by itself; this index serves a future clean-up of old records.
        await self._records.create_index("created_at")

    async def begin(self, subject: str, key: str, fingerprint: str) -> IdempotencyRecord | None:
        """Insert a pending record we own and return None, or return the record already there."""
        now = datetime.now(UTC)
        rid = record_id(subject, key)
        try:
            await self._records.insert_one({
                "_id": rid, "subject": subject, "key": key, "fingerprint": fingerprint,
                "state": "pending", "lease_until": now + self._lease, "created_at": now,
            })
            return None
        except DuplicateKeyError:
            doc = await self._records.find_one({"_id": rid})
            if doc is None:  # forgotten between our insert and read: try once more
                return await self.begin(subject, key, fingerprint)
            return _record(doc)

    async def take_over(self, record: IdempotencyRecord) -> bool:
        """Take an abandoned record's lease, atomically; False if someone else holds or took it."""
        now = datetime.now(UTC)
        if record.lease_until > now:
            return False
        result = await self._records.update_one(
            {"_id": record.record_id, "state": record.state, "lease_until": record.lease_until},
            {"$set": {"lease_until": now + self._lease}},
        )
        return result.modified_count == 1

    async def save_plan(self, rid: str, plan: dict[str, Any]) -> None:
        await self._records.update_one({"_id": rid}, {"$set": {"state": "planned", "plan": plan}})

    async def release(self, rid: str) -> None:
        """Let the next retry continue at once (after a 503), keeping the plan."""
        await self._records.update_one({"_id": rid}, {"$set": {"lease_until": datetime.now(UTC)}})

    async def complete(self, rid: str, response: dict[str, Any]) -> None:
        await self._records.update_one({"_id": rid}, {"$set": {"state": "completed", "response": response}})

    async def forget(self, rid: str) -> None:
        """Drop a record whose request was refused before anything was decided (4xx): a retry is judged anew."""
        await self._records.delete_one({"_id": rid, "state": "pending"})


def _record(doc: dict[str, Any]) -> IdempotencyRecord:
    return IdempotencyRecord(
        record_id=doc["_id"], fingerprint=doc["fingerprint"], state=doc["state"],
        lease_until=doc["lease_until"], plan=doc.get("plan"), response=doc.get("response"),
    )
