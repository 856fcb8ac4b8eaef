"""Integrators' webhook subscriptions: a URL, the event types it wants, and the secret its calls are
signed with (shown once, when the subscription is made)."""

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from ..domain.routing import subscribes_to


class SubscriptionStore:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._subscriptions = db["webhook_subscriptions"]

    async def create(self, url: str, event_types: list[str], secret: str | None, by: str) -> dict[str, Any]:
        document = {
            "_id": str(uuid.uuid4()),
            "url": url,
            "event_types": sorted(set(event_types)),
            "secret": secret or secrets.token_urlsafe(32),
            "created_at": datetime.now(UTC),
            "created_by": by,
        }
        await self._subscriptions.insert_one(document)
        return document

    async def all(self) -> list[dict[str, Any]]:
        return await self._subscriptions.find({}).sort("created_at", 1).to_list()

    async def get(self, subscription_id: str) -> dict[str, Any] | None:
        return await self._subscriptions.find_one({"_id": subscription_id})

    async def delete(self, subscription_id: str) -> bool:
        result = await self._subscriptions.delete_one({"_id": subscription_id})
        return result.deleted_count == 1

    async def matching(self, event_type: str) -> list[dict[str, Any]]:
        # Few subscriptions; filtering here avoids relying on array-matching operators of the store.
        return [s for s in await self.all() if subscribes_to(s["event_types"], event_type)]
