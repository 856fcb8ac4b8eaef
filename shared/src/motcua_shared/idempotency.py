"""Idempotency-Key, shared by every service whose POSTs publish events (intake, processing).

A record per (caller, Idempotency-Key) holds the request's fingerprint, what was decided for it and,
once published, the answer given. Lifecycle: `pending` (inserted first, under a unique _id, so
concurrent duplicates cannot both proceed) -> `planned` (events decided, not yet acknowledged by the
broker) -> `completed` (answer stored). A pending/planned record holds a lease; a retry after the
lease ran out (or after a 503 released it) takes the record over and carries on from its plan.

`claim` is the common first step: a new request, the first answer to a retry, or a 409. A caller whose
decision a first attempt cannot change (intake's new dossier) decides first and claims with its plan:
one insert, the record born `planned`; and it may leave the record there once published, when
`published` can tell from its own view that the plan's events are out (issue 16: fewer store writes)."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from pymongo.asynchronous.database import AsyncDatabase

from .api import ApiError
from .mongo import insert_once

HEADER_DESCRIPTION = (
    "A retry with the same key and body gets the first answer and publishes nothing new; the same key with "
    "another body is refused with 409 idempotency_key_reused. Keys are scoped to the caller."
)
# What a POST run once per Idempotency-Key may refuse with (for each route's `error_responses`).
IDEMPOTENT_CODES = {409: ["idempotency_key_reused", "idempotency_request_in_progress"], 503: ["broker_unavailable"]}

# The header where a service makes it optional (processing: officers' clients that send none act as before).
OptionalIdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Recommended on every POST. " + HEADER_DESCRIPTION,
    ),
]


@dataclass(frozen=True)
class IdempotencyRecord:
    record_id: str
    fingerprint: str
    state: str  # pending | planned | completed
    lease_until: datetime
    plan: dict[str, Any] | None
    response: dict[str, Any] | None


@dataclass(frozen=True)
class Claim:
    """This request's hold on its record: `response` is the first answer when the request was
    already answered (return it, do nothing); else go on, from `plan` when one was saved."""

    record_id: str
    plan: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    new: bool = False  # the record was inserted by this request (with the plan it was claimed with)


def record_id(subject: str, key: str) -> str:
    return hashlib.sha256(f"{subject}\x00{key}".encode()).hexdigest()


def fingerprint(method: str, path: str, body: Any) -> str:
    """A hash of what the request asks, insensitive to JSON formatting and key order."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_reused() -> ApiError:
    return ApiError(
        409,
        "idempotency_key_reused",
        "khóa Idempotency-Key này đã dùng cho một yêu cầu khác; hãy dùng khóa mới "
        "(this Idempotency-Key was used for a different request; use a new key)",
    )


def request_in_progress() -> ApiError:
    return ApiError(
        409,
        "idempotency_request_in_progress",
        "yêu cầu với khóa Idempotency-Key này đang được xử lý; xin thử lại sau giây lát "
        "(a request with this Idempotency-Key is still being processed; retry shortly)",
        headers={"Retry-After": "1"},
    )


class IdempotencyStore:
    def __init__(self, db: AsyncDatabase[Any], *, lease: timedelta) -> None:
        self._records = db["idempotency_keys"]
        self._lease = lease

    async def ensure_indexes(self) -> None:
        # The _id (caller + key) is unique by itself; this index serves a future clean-up of old records.
        await self._records.create_index("created_at")

    async def claim(
        self,
        subject: str,
        key: str,
        request_fingerprint: str,
        *,
        plan: dict[str, Any] | None = None,
        published: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> Claim:
        """Hold the record of (subject, key) for this request (see the module docstring); 409
        `idempotency_key_reused` for another request under the key, 409 `idempotency_request_in_progress`
        while the first one still runs. With `plan`, a new record is inserted already planned; with
        `published`, a planned record whose events it says are out (it returns their answer) is
        completed with that answer instead of being taken over."""
        existing = await self.begin(subject, key, request_fingerprint, plan=plan)
        if existing is None:
            return Claim(record_id(subject, key), plan, new=True)
        if existing.fingerprint != request_fingerprint:
            raise key_reused()
        if existing.state == "completed" and existing.response is not None:
            return Claim(existing.record_id, existing.plan, existing.response)
        if existing.plan is not None and published is not None:
            answer = await published(existing.plan)
            if answer is not None:
                await self.complete(existing.record_id, answer)
                return Claim(existing.record_id, existing.plan, answer)
        if not await self.take_over(existing):
            raise request_in_progress()
        return Claim(existing.record_id, existing.plan)

    async def begin(
        self, subject: str, key: str, fingerprint: str, *, plan: dict[str, Any] | None = None
    ) -> IdempotencyRecord | None:
        """Insert a record we own (pending, or planned with `plan`) and return None, or return the
        record already there."""
        now = datetime.now(UTC)
        rid = record_id(subject, key)
        record: dict[str, Any] = {
            "_id": rid,
            "subject": subject,
            "key": key,
            "fingerprint": fingerprint,
            "state": "pending" if plan is None else "planned",
            "lease_until": now + self._lease,
            "created_at": now,
        }
        if plan is not None:
            record["plan"] = plan
        if await insert_once(self._records, record):
            return None
        doc = await self._records.find_one({"_id": rid})  # someone holds the key: their record decides
        if doc is None:  # forgotten between our insert and read: try once more
            return await self.begin(subject, key, fingerprint, plan=plan)
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
        record_id=doc["_id"],
        fingerprint=doc["fingerprint"],
        state=doc["state"],
        lease_until=doc["lease_until"],
        plan=doc.get("plan"),
        response=doc.get("response"),
    )
