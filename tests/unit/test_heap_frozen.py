"""A started service's long-lived objects are frozen out of the collector's full collections
(motcua_shared.heap: full collections of 80-110 ms held intake's requests past its p99 under load)."""

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from motcua_shared import service
from motcua_shared.heap import frozen_after_startup
from motcua_shared.settings import ServiceSettings

CATALOGUE_SIZE = 50_000  # objects a lifespan keeps for the service's life (its views, clients, catalogue)


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process goes on collecting as usual


def tracked_by_full_collections(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects(generation=2))


def keeping(held: list[list[int]]) -> Any:
    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
        held.extend([i] for i in range(CATALOGUE_SIZE))  # lists: the collector tracks them
        gc.collect()  # they have aged into the oldest generation, as a running service's have
        assert tracked_by_full_collections(held[0])
        yield {"views": "open"}

    return lifespan


async def test_what_the_lifespan_opened_is_out_of_full_collections_once_started() -> None:
    held: list[list[int]] = []
    async with frozen_after_startup(keeping(held))(None) as state:
        assert state == {"views": "open"}  # the lifespan's state is the app's, as before
        assert gc.get_freeze_count() >= CATALOGUE_SIZE
        assert not tracked_by_full_collections(held[0])
        garbage: list[Any] = []
        garbage.append(garbage)  # a cycle made after startup is still collected
        del garbage
        assert gc.collect() >= 1


def test_serve_freezes_every_service_after_its_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[FastAPI] = []
    monkeypatch.setattr(service.uvicorn, "run", lambda app, **_: served.append(app))
    held: list[list[int]] = []
    service.serve(FastAPI(lifespan=keeping(held)), ServiceSettings(service_name="test-service"))
    (app,) = served

    async def start() -> None:
        async with app.router.lifespan_context(app):
            assert not tracked_by_full_collections(held[0])

    asyncio.run(start())
