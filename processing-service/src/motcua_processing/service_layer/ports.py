"""What processing's use cases need from the outside, as small protocols (the repository idea): the
Mongo stores and the Kafka publisher satisfy them in production (bootstrap), in-memory fakes in the
unit tests (tests/unit/fakes.py)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from motcua_shared import events as ev
from motcua_shared.catalogue import Agency, Procedure, Succession

from ..domain.dossier import Dossier


@dataclass(frozen=True)
class Folded:
    """A dossier after a batch, and the ids of the batch's events this call folded into it."""

    dossier: Dossier
    applied: tuple[str, ...]


class Store(Protocol):
    async def ensure_indexes(self) -> None:
        """Prepare the store (indexes); nothing for one in memory."""
        ...


class Dossiers(Store, Protocol):
    """Processing's dossiers, each the fold of its events (domain/dossier.py)."""

    async def apply(self, event: ev.DossierEvent, *, who: str | None = None) -> tuple[Dossier, bool]:
        """Fold `event` once: the dossier after it, and whether this call changed anything."""
        ...

    async def apply_many(self, events: Sequence[ev.DossierEvent]) -> list[Folded]:
        """Fold a batch once each, in order per dossier: each changed dossier after it, with the
        ids of the events this call folded into it."""
        ...

    async def get(self, dossier_id: str) -> Dossier | None: ...

    async def get_many(self, dossier_ids: Sequence[str]) -> dict[str, Dossier]:
        """The dossiers there are of these, each as of its newest change, by id."""
        ...

    async def latest(self, dossier_id: str) -> tuple[Dossier | None, int]:
        """The dossier as of its newest change, and that change's number (its version)."""
        ...

    async def take_turn(self, dossier_id: str, version: int) -> str | None:
        """The one right to act on `version` (its key), or None when someone else holds it."""
        ...

    async def give_back_turn(self, key: str) -> None: ...
    async def by_code(self, code: str) -> Dossier | None: ...

    async def find(
        self, query: dict[str, Any], *, sort: list[tuple[str, int]] | None = None, limit: int = 1000
    ) -> list[Dossier]:
        """Dossiers whose fields match `query` (equality, None for unset, `$in`, `$lt(e)`, `$gt(e)`)."""
        ...

    async def find_each(
        self,
        each: Mapping[str, Sequence[Any]],
        query: dict[str, Any],
        *,
        sort: list[tuple[str, int]] | None = None,
        limit: int = 1000,
    ) -> list[Dossier]:
        """`find` of `query` with each field of `each` one of its values (one equality query per
        combination, merged in `sort` order: FerretDB scans for `$in`); at most `limit` in all."""
        ...


class Catalogue(Store, Protocol):
    """The province's agencies, procedures and supersessions, folded from the catalogue events."""

    async def apply(self, event: ev.Envelope) -> None: ...
    async def agency(self, code: str) -> Agency | None: ...
    async def procedure(self, code: str) -> Procedure | None: ...
    async def successions(self) -> dict[str, Succession]: ...
    async def in_force(self, on: date | None = None) -> dict[str, Succession]: ...
    async def responsible(self, code: str, on: date | None = None) -> str: ...
    async def handled_by(self, code: str, on: date | None = None) -> list[str]: ...


class Publisher(Protocol):
    async def publish(self, event: ev.DossierEvent) -> None:
        """Publish `event`, acknowledged; raises BrokerUnavailable otherwise."""
        ...


class Claims(Protocol):
    """Once-only events (the clock's announcements, hand-overs): claimed before they are published."""

    async def claim(self, event: ev.DossierEvent, kind: str) -> bool: ...
    async def claim_many(self, wanted: Sequence[tuple[ev.DossierEvent, str]]) -> set[str]:
        """Claim each (event, kind) at once; the event ids this caller won."""
        ...

    async def mark_published(self, event_id: str) -> None: ...
    async def take_over_stale(self) -> list[ev.DossierEvent]: ...
    async def state(self, event_id: str) -> str | None: ...


class Freshness(Protocol):
    async def wait_folded(self, topic: str, *, key: str | None, within: float) -> int | None:
        """Events of `topic` (on `key`'s partition, or all) still to fold after waiting up to `within` s."""
        ...
