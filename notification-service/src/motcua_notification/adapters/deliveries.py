"""Deliveries in MongoDB (FerretDB-compatible): claimed by a unique insert, their attempts and outcome
recorded on them, and the outbox of outcome events.

"Once" is decided by inserts under unique ids, never by a conditional update (FerretDB does not
decide those atomically): the delivery's id (event, template, recipient, channel) decides that it
exists once; `<id>#<n>` in `delivery_claims` decides who makes its n-th send attempt."""

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from motcua_shared import events as ev
from motcua_shared.mongo import insert_once
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.delivery import Delivery, Status
from .bulk import insert_new

PAGE = 200  # deliveries read at a time by a sweep


def _now() -> datetime:
    return datetime.now(UTC)


def _document(delivery: Delivery) -> dict[str, Any]:
    document = dataclasses.asdict(delivery)
    document["_id"] = delivery.id
    for name in ("status", "audience", "channel"):
        document[name] = str(document[name].value)
    return document


class DeliveryStore:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._deliveries = db["deliveries"]
        self._claims = db["delivery_claims"]
        self._outbox = db["outcome_outbox"]
        self._events = db["superseding_events"]

    async def ensure_indexes(self) -> None:
        await self._deliveries.create_index([("dossier_code", ASCENDING)])
        await self._deliveries.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self._outbox.create_index([("at", ASCENDING)])
        await self._events.create_index([("dossier_id", ASCENDING), ("occurred_at", ASCENDING)])

    async def add(self, delivery: Delivery) -> bool:
        """Record `delivery` as to be sent; False when it already exists (the event came again)."""
        return await self.add_many([delivery]) == 1

    async def add_many(self, deliveries: Sequence[Delivery]) -> int:
        """Record a batch's deliveries with one insert; those already there (the batch came again) are
        left as they are. The number newly recorded."""
        return len(deliveries) - len(await insert_new(self._deliveries, [_document(d) for d in deliveries]))

    async def get(self, delivery_id: str) -> dict[str, Any] | None:
        return await self._deliveries.find_one({"_id": delivery_id})

    async def due(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
        cursor = self._deliveries.find({"status": Status.PENDING.value, "due_at": {"$lte": now}})
        return await cursor.sort("due_at", ASCENDING).limit(limit).to_list()

    async def claim_attempt(self, delivery: dict[str, Any]) -> int | None:
        """The claim number if this caller won the next send of `delivery`, None if someone else did."""
        seq = int(delivery.get("claim_seq", 0)) + 1
        if not await insert_once(self._claims, {"_id": f"{delivery['_id']}#{seq}", "at": _now()}):
            return None
        await self._deliveries.update_one(
            {"_id": delivery["_id"]},
            {"$set": {"status": Status.SENDING.value, "claim_seq": seq, "sending_since": _now()}},
        )
        return seq

    async def record_attempt(
        self, delivery_id: str, attempt: dict[str, Any], status: Status, due_at: datetime | None = None
    ) -> None:
        update: dict[str, Any] = {"status": status.value}
        if due_at is not None:
            update["due_at"] = due_at
        if status != Status.PENDING:
            update["finished_at"] = _now()
        await self._deliveries.update_one({"_id": delivery_id}, {"$set": update, "$push": {"attempts": attempt}})

    async def sending_since_before(self, before: datetime) -> list[dict[str, Any]]:
        """Deliveries whose send began before `before` and never finished: their sender died."""
        cursor = self._deliveries.find({"status": Status.SENDING.value, "sending_since": {"$lt": before}})
        return await cursor.to_list()

    async def release_dead_claims(self, before: datetime) -> int:
        """Skip claims won before `before` by a sender that died before it began to send (the delivery
        is still pending), so that the next claim number is free again. Nothing was sent under them."""
        released, after = 0, ""
        while True:
            # A page read to the end before any write: FerretDB holds a connection per open cursor.
            page = (
                await self._deliveries.find(
                    {"status": Status.PENDING.value, "due_at": {"$lt": before}, "_id": {"$gt": after}}
                )
                .sort("_id", ASCENDING)
                .limit(PAGE)
                .to_list()
            )
            for doc in page:
                seq = int(doc.get("claim_seq", 0)) + 1
                claim = await self._claims.find_one({"_id": f"{doc['_id']}#{seq}"})
                if claim is not None and claim["at"] < before:
                    await self._deliveries.update_one(
                        {"_id": doc["_id"], "status": Status.PENDING.value}, {"$set": {"claim_seq": seq}}
                    )
                    released += 1
            if len(page) < PAGE:
                return released
            after = page[-1]["_id"]

    async def history(self, dossier_code: str) -> list[dict[str, Any]]:
        cursor = self._deliveries.find({"dossier_code": dossier_code})
        return await cursor.sort("created_at", ASCENDING).to_list()

    async def all_for_event(self, event_id: str) -> list[dict[str, Any]]:
        return await self._deliveries.find({"cause_event_id": event_id}).to_list()

    # --- events that supersede messages not yet sent ---------------------------------------------

    async def remember_events(self, events: Sequence[ev.DossierEvent]) -> None:
        """`remember_event` for a batch's events, with one insert."""
        await insert_new(
            self._events,
            [
                {
                    "_id": str(e.event_id),
                    "dossier_id": e.dossier_id,
                    "event_type": e.event_type,
                    "occurred_at": e.occurred_at,
                }
                for e in events
            ],
        )

    async def first_event_since(
        self, dossier_id: str, since: datetime, event_types: frozenset[str], other_than: str
    ) -> dict[str, Any] | None:
        """The earliest remembered event of `dossier_id` of one of `event_types` that occurred at or
        after `since`, other than the event `other_than`."""
        found = (
            await self._events.find(
                {
                    "dossier_id": dossier_id,
                    "occurred_at": {"$gte": since},
                    "event_type": {"$in": sorted(event_types)},
                    "_id": {"$ne": other_than},
                }
            )
            .sort("occurred_at", ASCENDING)
            .limit(1)
            .to_list()
        )
        return found[0] if found else None

    async def record_superseded(self, delivery_id: str, event: dict[str, Any]) -> None:
        """`delivery_id` is not sent: `event` made it untrue. The event is kept on it as the reason."""
        reason = {"event_id": event["_id"], "event_type": event["event_type"], "occurred_at": event["occurred_at"]}
        await self._deliveries.update_one(
            {"_id": delivery_id},
            {"$set": {"status": Status.SUPERSEDED.value, "superseded_by": reason, "finished_at": _now()}},
        )

    # --- the outbox of outcome events -----------------------------------------------------------

    async def add_outcome(self, event_id: str, key: str, value: bytes) -> None:
        """Keep an outcome event before publishing it, so that a broker outage delays it, never loses it."""
        await insert_once(self._outbox, {"_id": event_id, "key": key, "value": value, "at": _now()})

    async def mark_published(self, event_id: str) -> None:
        # The delivery keeps the history; the outbox only holds what is still to publish.
        await self._outbox.delete_one({"_id": event_id})

    async def unpublished(self, before: datetime, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self._outbox.find({"at": {"$lt": before}})
        return await cursor.sort("at", ASCENDING).limit(limit).to_list()
