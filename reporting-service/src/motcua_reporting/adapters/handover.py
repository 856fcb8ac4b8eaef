"""The counter documents this process's fold has just written, handed to its own readers.

After a claim of a stream, a summary rereads that stream's documents the claim may have changed
(read_cache.py). The fold runs in the same process as the API and has just written them, so it
keeps their rows as written (`rows`, the stored blob) under the change token of its mark; a reader
whose version holds that same token for the stream takes them from here instead of the store
(issue 16: at 1M dossiers a day document is large, and rereading it was most of a summary's time
after a claim).

Why the blob is what the store holds for that token: only one writer applies a stream's claims at
a time (claims.py). The writer's mark is one update that matched its own previous token (read_cache
`mark_changed` returns `continued`), so nobody else marked the stream in between, and a write marks
after it lands: no other writer has written these documents since this one did. When the mark did
not continue this writer's own (its first, or another writer's came between), what was handed over
before is dropped: only this claim's documents are known then. A document not handed over is read
from the store, as is everything in a process that does not fold (another reporting instance).
"""

from collections import OrderedDict
from dataclasses import dataclass, field

LIMIT_BYTES = 16 * 1024 * 1024  # the blobs kept in all (a live claim writes a few small documents)

Where = tuple[str, str, str]  # (database, generation prefix, stream)


@dataclass
class _Stream:
    token: str
    docs: dict[tuple[str, str], bytes | None] = field(default_factory=dict)  # (collection, id) -> rows


class Handover:
    def __init__(self, limit_bytes: int = LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._streams: OrderedDict[Where, _Stream] = OrderedDict()  # least recently marked first
        self._bytes = 0

    def marked(
        self, where: Where, token: str, written: dict[tuple[str, str], bytes | None] | None, continued: bool
    ) -> None:
        """The stream was marked with `token` after this process wrote `written` (None: unknown, a
        conflict); `continued`: the mark followed this process's previous mark of the stream."""
        old = self._streams.pop(where, None)
        docs = dict(old.docs) if old is not None and continued else {}
        if old is not None:
            self._bytes -= _size(old.docs)
        if written is None:
            return
        docs.update(written)
        self._streams[where] = _Stream(token, docs)
        self._bytes += _size(docs)
        while self._bytes > self.limit_bytes and self._streams:
            _, dropped = self._streams.popitem(last=False)
            self._bytes -= _size(dropped.docs)

    def rows(self, where: Where, token: str, collection: str, doc_id: str) -> tuple[bool, bytes | None]:
        """(True, the document's rows as written) when it was handed over under `token`; else (False, None)."""
        stream = self._streams.get(where)
        if stream is None or stream.token != token or (collection, doc_id) not in stream.docs:
            return False, None
        return True, stream.docs[(collection, doc_id)]

    def clear(self) -> None:
        self._streams.clear()
        self._bytes = 0


def _size(docs: dict[tuple[str, str], bytes | None]) -> int:
    return sum(len(blob or b"") for blob in docs.values())


HANDOVER = Handover()
