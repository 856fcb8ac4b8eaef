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

With each document the write's changed rows are handed over too (as stored before and after), and the
rows handed over before it: a reader whose kept rows are those very rows (the same object) adds up the
few changed rows instead of comparing the two versions' thousands (counter_reads `Sum.swap`).
"""

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

LIMIT_BYTES = 16 * 1024 * 1024  # the blobs kept in all (a live claim writes a few small documents)

Where = tuple[str, str, str]  # (database, generation prefix, stream)
Doc = tuple[str, str]  # (collection, document id)
Rows = Sequence[Sequence[Any]]  # stored rows: [kind, date, agency, procedure, dim, count]


@dataclass(frozen=True)
class Written:
    """One document as a write left it: its rows blob, and the rows the write changed, as they were
    stored before it (`removed`) and after it (`added`; a row whose count fell to 0 is in neither)."""

    rows: bytes
    removed: Rows = ()
    added: Rows = ()


@dataclass(frozen=True)
class _Doc:
    written: Written
    before: bytes | None  # the rows handed over for the document before this write (None: not known)


@dataclass
class _Stream:
    token: str
    docs: dict[Doc, _Doc] = field(default_factory=dict)


class Handover:
    def __init__(self, limit_bytes: int = LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._streams: OrderedDict[Where, _Stream] = OrderedDict()  # least recently marked first
        self._bytes = 0

    def marked(self, where: Where, token: str, written: dict[Doc, Written] | None, continued: bool) -> None:
        """The stream was marked with `token` after this process wrote `written` (None: unknown, a
        conflict); `continued`: the mark followed this process's previous mark of the stream. (In
        place: a claim costs what it wrote, not what was handed over before.)"""
        stream = self._streams.pop(where, None)
        if stream is not None and (written is None or not continued):
            self._bytes -= sum(_size(d) for d in stream.docs.values())
            stream = None
        if written is None:
            return
        stream = stream or _Stream(token)
        stream.token = token
        for doc, now in written.items():
            before = stream.docs.get(doc)
            if before is not None:
                self._bytes -= _size(before)
            stream.docs[doc] = _Doc(now, before.written.rows if before is not None else None)
            self._bytes += _size(stream.docs[doc])
        self._streams[where] = stream  # the most recently marked last
        while self._bytes > self.limit_bytes and self._streams:
            _, dropped = self._streams.popitem(last=False)
            self._bytes -= sum(_size(d) for d in dropped.docs.values())

    def _doc(self, where: Where, token: str, doc: Doc) -> _Doc | None:
        stream = self._streams.get(where)
        if stream is None or stream.token != token:
            return None
        return stream.docs.get(doc)

    def rows(self, where: Where, token: str, collection: str, doc_id: str) -> tuple[bool, bytes | None]:
        """(True, the document's rows as written) when it was handed over under `token`; else (False, None)."""
        found = self._doc(where, token, (collection, doc_id))
        return (True, found.written.rows) if found is not None else (False, None)

    def changed(
        self, where: Where, token: str, collection: str, doc_id: str, held: bytes | None, new: bytes | None
    ) -> tuple[Rows, Rows] | None:
        """The rows (removed, added) that turn `held` into `new`, when `new` is the document handed over
        under `token` and `held` the very rows handed over for it before; else None (compare them)."""
        found = self._doc(where, token, (collection, doc_id))
        if found is None or held is None or found.before is not held or found.written.rows is not new:
            return None
        return found.written.removed, found.written.added

    def clear(self) -> None:
        self._streams.clear()
        self._bytes = 0


def _size(doc: _Doc) -> int:
    rows = len(doc.written.removed) + len(doc.written.added)
    return len(doc.written.rows) + len(doc.before or b"") + 64 * rows


HANDOVER = Handover()
