"""Dossier codes handed out in blocks (issue 16): one store write per block of a daily counter,
not per dossier.

Block `n` of counter `STNMT-250303` holds the sequences `n*size+1 … (n+1)*size`. An instance takes a
block by inserting `{_id: "STNMT-250303/n"}`: the unique `_id` decides between instances atomically
(FerretDB applies `$inc` and findAndModify as read-then-write, so they could hand two instances the
same number). It then numbers its dossiers from that block in memory. What a stopped instance had not
used of its block is never handed out: a restart leaves a gap in the day's numbering, which the code
format (`{agency}-{yyMMdd}-{sequence}`) allows; and two instances number from their own blocks at
once, so codes are unique but not in the order of receipt across instances."""

import asyncio
import bisect
from dataclasses import dataclass, field
from typing import Any

from motcua_shared.mongo import insert_once
from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.codes import dossier_code_for

DEFAULT_BLOCK_SIZE = 50
_MAX_BLOCK_ATTEMPTS = 1000
_MAX_COUNTERS = 10_000  # counters are per agency and day: forget old days' now and then
_LOCK_STRIPES = 16


@dataclass
class _Counter:
    next_block: int  # the block to try next
    free: list[int] = field(default_factory=list)  # sequences of our blocks not handed out yet


class CodeBlocks:
    def __init__(self, db: AsyncDatabase[Any], *, block_size: int = DEFAULT_BLOCK_SIZE) -> None:
        self._blocks = db["dossier_code_blocks"]
        # The counters of the earlier scheme (one $inc per dossier): a day begun under it goes on above.
        self._legacy_counters = db["dossier_code_counters"]
        self._size = block_size
        self._counters: dict[str, _Counter] = {}
        self._locks = [asyncio.Lock() for _ in range(_LOCK_STRIPES)]

    async def ensure_indexes(self) -> None:
        await self._blocks.create_index([("counter", 1), ("block", DESCENDING)])

    async def take(self, counter: str) -> str:
        """A dossier code of `counter` that no instance has handed out or will."""
        state = self._counters.get(counter)
        if state is None or not state.free:
            async with self._locks[hash(counter) % len(self._locks)]:
                state = self._counters.get(counter)
                if state is None or not state.free:
                    state = await self._refill(counter, state)
        return dossier_code_for(counter, state.free.pop(0))

    def give_back(self, code: str) -> None:
        """A code taken for a request that turned out to be a retry: the next dossier gets it."""
        counter, number = code.rsplit("-", 1)
        state = self._counters.get(counter)
        sequence = int(number)
        if state is not None and sequence not in state.free:
            bisect.insort(state.free, sequence)  # the lowest free number goes first

    async def _refill(self, counter: str, state: _Counter | None) -> _Counter:
        if state is None:
            if len(self._counters) >= _MAX_COUNTERS:
                self._counters.clear()
            state = _Counter(next_block=await self._first_free_block(counter))
            self._counters[counter] = state
        for _ in range(_MAX_BLOCK_ATTEMPTS):
            block = state.next_block
            state.next_block += 1
            if await insert_once(self._blocks, {"_id": f"{counter}/{block}", "counter": counter, "block": block}):
                state.free = list(range(block * self._size + 1, (block + 1) * self._size + 1))
                return state
        raise RuntimeError(f"could not take a block of dossier codes on counter {counter}")

    async def _first_free_block(self, counter: str) -> int:
        """Above every block taken on `counter` so far (by any instance), and above the earlier scheme's
        counter; the insert still decides if another instance takes it first."""
        last, legacy = await asyncio.gather(
            self._blocks.find_one({"counter": counter}, sort=[("block", DESCENDING)]),
            self._legacy_counters.find_one({"_id": counter}),
        )
        after_blocks = int(last["block"]) + 1 if last else 0
        after_legacy = -(-int(legacy["seq"]) // self._size) if legacy else 0  # ceil(seq / size)
        return max(after_blocks, after_legacy)
