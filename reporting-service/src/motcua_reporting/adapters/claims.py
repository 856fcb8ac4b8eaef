"""Who folds which records: a chain of claims per stream, decided by unique inserts.

A *stream* is a partition of dossier.events (`p0`, `p1`, ...), or a named stream of events folded
without Kafka (`direct`, used by tools and tests). Its records are folded in order, in *claims*:

    {_id: "p0:120", stream: "p0", start: 120, end: 619, facts_z: zlib('[{"o": 120, …}, …]'), writer: "…",
     at: 1732350000.0, done: false}

A claim covers the positions [start, end] right after the previous claim's end. A writer claims by
inserting that document: the insert is the decision, so of two writers that reach the same records
(two reporting instances during a rebalance, a rebuild's catch-up beside a live consumer) exactly one
folds them, and the other skips them. No conditional update is relied on (on FerretDB those are not
atomic under concurrency). The claim keeps the facts it covers until it is done, so that if its writer
dies half-way, whoever comes next applies it again (idempotently, see dossier_store.py) after
`takeover_after` seconds. The facts are one compressed JSON text (`facts_z`; a claim written before
kept them as `facts`): FerretDB converts every nested field of a document it stores, and a claim holds
thousands.
"""

import asyncio
import json
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

from motcua_shared.mongo import insert_once
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection


def new_writer_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Claim:
    stream: str
    start: int
    end: int
    facts: list[dict[str, Any]]  # {"o": offset, "d": dossier id, "f": fact}, in offset order
    writer: str
    at: float
    done: bool = False

    @property
    def id(self) -> str:
        return f"{self.stream}:{self.start}"

    @property
    def next(self) -> int:
        return self.end + 1

    @classmethod
    def of(cls, doc: dict[str, Any]) -> "Claim":
        return cls(
            doc["stream"],
            int(doc["start"]),
            int(doc["end"]),
            json.loads(zlib.decompress(doc["facts_z"])) if "facts_z" in doc else doc.get("facts", []),
            doc["writer"],
            float(doc["at"]),
            bool(doc.get("done")),
        )


class Claims:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        self._claims = collection
        # Per stream, the claim this writer marked done last, handed out once by `latest` instead of a
        # read (issue 16: one store round trip less per claim). If another writer has claimed since,
        # the caller's next claim is inserted under an id that is taken (a chain's claims start where
        # the one before ended), which fails and drops it; and a second `latest` reads the store.
        self._mine: dict[str, Claim] = {}
        # Per stream, this writer's update marking its last claim done, still in flight: it overlaps the
        # next claim's insert (`done`), one store round trip less on each claim's path.
        self._finishing: dict[str, tuple[Claim, asyncio.Future[None]]] = {}

    async def ensure_indexes(self) -> None:
        await self._claims.create_index([("stream", 1), ("start", DESCENDING)])

    async def latest(self, stream: str) -> Claim | None:
        mine = self._mine.pop(stream, None)
        if mine is not None:
            return mine
        await self._finished(stream)  # what the store holds then includes this writer's last done
        doc = await self._claims.find_one({"stream": stream}, sort=[("start", DESCENDING)])
        return Claim.of(doc) if doc else None

    async def insert(self, claim: Claim, *, doc_id: str | None = None) -> bool:
        """True when this writer now holds the claim; False when another writer got there first."""
        self._mine.pop(claim.stream, None)
        finishing = self._finishing.pop(claim.stream, None)
        inserting = insert_once(
            self._claims,
            {
                "_id": doc_id or claim.id,
                "stream": claim.stream,
                "start": claim.start,
                "end": claim.end,
                "facts_z": zlib.compress(json.dumps(claim.facts, separators=(",", ":")).encode(), 1),
                "writer": claim.writer,
                "at": claim.at,
                "done": claim.done,
            },
        )
        if finishing is None:
            return await inserting
        before, marking = finishing
        marked, inserted = await asyncio.gather(marking, inserting, return_exceptions=True)
        if isinstance(marked, BaseException):  # the claim before stays applied: mark it once more
            await self._mark_done(before)
        if isinstance(inserted, BaseException):
            raise inserted
        return inserted

    async def begin_at(self, stream: str, position: int, writer: str) -> bool:
        """Start the stream's chain at `position` (a rebuild does, at the partition's first offset, so
        that a live consumer joining later cannot start the chain past records the rebuild has not
        folded yet). Nothing happens when the chain has begun; True when this call began it."""
        if await self.latest(stream) is None:
            marker = Claim(stream, position - 1, position - 1, [], writer, time.time(), done=True)
            return await self.insert(marker, doc_id=f"{stream}:begin")
        return False

    def done(self, claim: Claim) -> None:
        """The claim is applied: it is marked done in the store while the writer goes on, and its
        next claim's insert waits for that (so the chain in the store never has a done claim after
        one that is not). If this writer dies first, the next applies the claim again (idempotent)."""
        self._mine[claim.stream] = Claim(claim.stream, claim.start, claim.end, [], claim.writer, claim.at, True)
        self._finishing[claim.stream] = (claim, asyncio.ensure_future(self._mark_done(claim)))

    async def _mark_done(self, claim: Claim) -> None:
        # The facts are in the read models now; the claim keeps only its range.
        await self._claims.update_one(
            {"_id": claim.id}, {"$set": {"done": True}, "$unset": {"facts": "", "facts_z": ""}}
        )

    async def _finished(self, stream: str) -> None:
        finishing = self._finishing.pop(stream, None)
        if finishing is not None:
            await finishing[1]

    async def settle(self) -> None:
        """Every claim this writer has applied is marked done in the store."""
        for stream in list(self._finishing):
            await self._finished(stream)

    async def pending(self) -> list[Claim]:
        await self.settle()
        return [Claim.of(doc) async for doc in self._claims.find({"done": False})]
