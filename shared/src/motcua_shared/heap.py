"""The services' heap frozen once they have started (`gc.freeze`).

CPython's full (generation 2) collection walks every object the collector tracks, and a started service
holds a few hundred thousand that live as long as it does (modules, pydantic and FastAPI schemas, the
catalogue, its clients). Measured in intake under 80 submissions/s: full collections of 81 and 108 ms,
each holding every request in flight past the benchmark's 100 ms p99 (bench/intake_throughput.py).
Frozen after startup, those objects are out of the collector's sight: a collection walks only what the
service allocated since, and garbage is still collected as before."""

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def freeze_heap() -> None:
    """Collect what is garbage now, then freeze what is left (the collector no longer walks it)."""
    gc.collect()
    gc.freeze()


def frozen_after_startup(lifespan: Lifespan) -> Lifespan:
    """`lifespan`, freezing the heap once its startup is done (the store, brokers and views open)."""

    @asynccontextmanager
    async def started(app: Any) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            freeze_heap()
            yield state

    return started
