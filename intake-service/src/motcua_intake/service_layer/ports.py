"""What intake's use cases need from the outside, as small protocols (the repository idea): the
Mongo stores and the Kafka publisher satisfy them in production (bootstrap), in-memory fakes in the
unit tests (tests/unit/fakes.py)."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, Protocol

from motcua_shared import events as ev
from motcua_shared.catalogue import Agency, Procedure
from motcua_shared.idempotency import Claim

from ..domain.view import DossierView


class Store(Protocol):
    async def ensure_indexes(self) -> None:
        """Prepare the store (indexes); nothing for one in memory."""
        ...


class Catalogue(Store, Protocol):
    """The province's agencies and procedures, folded from the catalogue events."""

    async def apply(self, event: ev.Envelope) -> None: ...
    async def agency(self, code: str) -> Agency | None: ...
    async def agencies(self) -> list[Agency]: ...
    async def procedure(self, code: str) -> Procedure | None: ...
    async def procedures(self, *, agency_code: str | None = None, include_retired: bool = False) -> list[Procedure]: ...

    async def responsible(self, code: str, on: date | None = None) -> str:
        """The agency that answers for `code`'s work on `on` (itself, or its successor once dissolved)."""
        ...


class Dossiers(Store, Protocol):
    """Intake's view of each dossier, and the daily counters its codes come from."""

    async def reserve_code(self, counter: str, dossier_id: str) -> str: ...

    def give_back_code(self, code: str) -> None:
        """A reserved code the request did not use (it was a retry): the next dossier may have it."""
        ...

    async def known(self, dossier_id: str) -> bool:
        """Whether the dossier is in the view (its first events were published and folded)."""
        ...

    async def apply(self, event: ev.DossierEvent, *, phone_hash: str | None = None) -> None: ...

    async def fold_batch(
        self, events: Sequence[tuple[ev.DossierEvent, str | None]]
    ) -> list[tuple[ev.DossierEvent, Exception]]:
        """Fold (event, phone hash) pairs in order, each once by event_id, with bulk reads and writes;
        the events that cannot be folded, with why (to dead-letter)."""
        ...

    async def by_code(self, code: str) -> DossierView | None: ...

    async def claim_rating(self, dossier_id: str) -> bool:
        """Claim the dossier's one rating; False if it was already claimed."""
        ...


class Requests(Store, Protocol):
    """Each (caller, Idempotency-Key)'s request: claimed, planned, answered (motcua_shared.idempotency)."""

    async def claim(
        self,
        subject: str,
        key: str,
        request_fingerprint: str,
        *,
        plan: dict[str, Any] | None = None,
        published: Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> Claim: ...
    async def save_plan(self, rid: str, plan: dict[str, Any]) -> None: ...
    async def release(self, rid: str) -> None: ...
    async def complete(self, rid: str, response: dict[str, Any]) -> None: ...
    async def forget(self, rid: str) -> None: ...


class Publisher(Protocol):
    async def publish(self, topic: str, key: str, events: Sequence[ev.Envelope]) -> None:
        """Publish `events` in order under `key`, acknowledged; raises BrokerUnavailable otherwise."""
        ...


class Freshness(Protocol):
    async def wait_folded(self, topic: str, *, key: str | None, within: float) -> int | None:
        """Events of `topic` (on `key`'s partition, or all) still to fold after waiting up to `within` s."""
        ...


class Attempts(Protocol):
    """Failed tracking attempts per client and per code."""

    def wait(self, *, client: str, code: str) -> int | None: ...
    def failed(self, *, client: str, code: str) -> None: ...
