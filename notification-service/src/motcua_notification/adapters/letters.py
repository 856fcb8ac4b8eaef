"""Apology letters as stored PDFs, one per apology event, kept for printing and for the email."""

from datetime import UTC, datetime
from typing import Any

from bson import Binary
from motcua_shared.mongo import insert_once
from pymongo.asynchronous.database import AsyncDatabase


class LetterStore:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._letters = db["letters"]

    async def save(self, letter_id: str, dossier_code: str, pdf: bytes) -> None:
        """Store the letter once; a second rendering (the event came again) is dropped."""
        await insert_once(
            self._letters,
            {"_id": letter_id, "dossier_code": dossier_code, "pdf": Binary(pdf), "created_at": datetime.now(UTC)},
        )

    async def exists(self, letter_id: str) -> bool:
        return await self._letters.find_one({"_id": letter_id}, projection={"_id": 1}) is not None

    async def get(self, letter_id: str) -> dict[str, Any] | None:
        doc = await self._letters.find_one({"_id": letter_id})
        if doc is None:
            return None
        return {"letter_id": doc["_id"], "dossier_code": doc["dossier_code"], "pdf": bytes(doc["pdf"])}
