"""Idempotency-Key on every officer action (issue 18 item 8), as intake's POSTs take it: a retry with
the same key and body answers the first answer and publishes nothing new; the same key with another
body is 409 `idempotency_key_reused` (motcua_shared.idempotency). The header is optional here, so
that officers' clients that send none act as before.

The router's dependency notes the key and the request's fingerprint for the action being served;
`run_once` (in api/routes/actions.py's `_act`) reads them. A context variable carries them because
every action route goes through `_act` and none needs to pass them on by hand."""

import json
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from motcua_shared.idempotency import IdempotencyStore, OptionalIdempotencyKey, fingerprint

from .deps import Officer
from .schemas import ActionResult


@dataclass(frozen=True)
class KeyedRequest:
    subject: str
    key: str
    fingerprint: str
    store: IdempotencyStore


_keyed: ContextVar[KeyedRequest | None] = ContextVar("processing_keyed_request", default=None)


async def note_idempotency_key(request: Request, principal: Officer, key: OptionalIdempotencyKey = None) -> None:
    """The router's dependency: remember this request's key (or that it has none)."""
    store: IdempotencyStore | None = getattr(request.app.state, "idempotency", None)
    if key is None or store is None:
        _keyed.set(None)
        return
    raw = await request.body()  # already read (and cached) by FastAPI for the body parameter
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    _keyed.set(KeyedRequest(principal.subject, key, fingerprint("POST", request.url.path, body), store))


async def run_once(act: Callable[[], Awaitable[ActionResult]]) -> ActionResult:
    """The action's answer: its first answer when this key already had one, else `act()`'s, kept for
    the retries. A refused action (4xx, 503) keeps nothing: a retry is judged anew."""
    keyed = _keyed.get()
    if keyed is None:
        return await act()
    claim = await keyed.store.claim(keyed.subject, keyed.key, keyed.fingerprint)
    if claim.response is not None:
        return ActionResult.model_validate(claim.response)
    try:
        result = await act()
    except BaseException:
        await keyed.store.forget(claim.record_id)
        raise
    await keyed.store.complete(claim.record_id, result.model_dump(mode="json"))
    return result
