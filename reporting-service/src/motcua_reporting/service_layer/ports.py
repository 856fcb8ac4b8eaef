"""What reporting's report use cases read, as small protocols (the repository idea): the Mongo read
models satisfy them in production (`Reports`, built per request from the active generation), in-memory
fakes in the unit tests (tests/unit/fakes.py)."""

from datetime import date
from typing import Protocol

from ..adapters.counters import Standing
from ..domain.catalogue import Catalogue
from ..domain.contributions import CounterKey, Kind


class CatalogueReader(Protocol):
    async def load(self) -> Catalogue:
        """The whole catalogue: agencies, procedures, supersessions."""
        ...


class CounterReader(Protocol):
    """The pre-aggregated counters the consumers fold (domain/contributions.py)."""

    async def flows(self, kinds: list[str], start: date, end: date) -> list[tuple[CounterKey, int]]:
        """Counter rows of `kinds` over [start, end] (several rows may share a key: add them up)."""
        ...

    async def standing_at_end_of(self, day: date, kind: str = Kind.OPEN) -> Standing:
        """The dossiers open (or, with `Kind.UNCOLLECTED`, not collected) at the end of `day`."""
        ...
