"""An app behind a real HTTP server on a free local port, for what talks HTTP to it from outside the
process's ASGI transport: a browser, a fuzzer."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn


@asynccontextmanager
async def serving(app: Any, **options: Any) -> AsyncIterator[str]:
    """The app behind a real HTTP server on a free local port (its lifespan runs once); its base URL.
    `options` go to uvicorn's Config (e.g. timeout_keep_alive)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on", access_log=False, **options))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # start-up failed: raise why
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
