"""A lean HTTP/1.1 client for the load generators: keep-alive connections to one server, opened as
needed and reused, raw bytes in and out.

The load generator runs on the machine it measures. httpx cost 2.7-3.2 ms of CPU per request here
(issue 16: at 70 submissions/s plus the summary polls, the generator took half a core, as much as
intake or FerretDB), so what it measured was partly its own queueing. This client costs 0.6-0.7 ms;
the benchmarks' setup and checks keep httpx."""

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

IDLE_SECONDS = 4.0  # uvicorn closes a connection idle for 5 s (timeout_keep_alive): drop ours before


class HttpError(Exception):
    """The server closed the connection or answered something this client does not read."""


@dataclass
class Response:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise HttpError(f"HTTP {self.status_code}: {self.content[:200]!r}")


@dataclass
class LeanClient:
    base: str
    timeout: float = 30.0
    _idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = field(default_factory=list)
    _open: set[asyncio.StreamWriter] = field(default_factory=set)

    def __post_init__(self) -> None:
        url = urlsplit(self.base)
        self._host, self._port = url.hostname or "127.0.0.1", url.port or 80
        self._prefix = url.path.rstrip("/")

    async def post(self, path: str, *, json_body: Any, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(json_body, separators=(",", ":")).encode()
        headers = {"content-type": "application/json", **(headers or {})}
        return await self.request("POST", path, body=body, headers=headers)

    async def get(
        self, path: str, *, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        return await self.request("GET", path + ("?" + urlencode(params) if params else ""), headers=headers)

    async def request(
        self, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        head = [f"{method} {self._prefix}{path} HTTP/1.1", f"host: {self._host}:{self._port}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body or method == "POST":
            head.append(f"content-length: {len(body)}")
        message = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        reused = self._reusable()
        if reused is not None:
            try:
                return await self._send(message, reused)
            except _Closed:
                pass  # closed by the server as the request went out, unread: once more on a new one (as httpx does)
        try:
            return await self._send(message, await self._connect())
        except _Closed:
            raise HttpError("the server closed the connection") from None

    def _reusable(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        now = asyncio.get_running_loop().time()
        while self._idle:
            reader, writer, since = self._idle.pop()
            if now - since < IDLE_SECONDS and not reader.at_eof():
                return reader, writer
            self._close(writer)
        return None

    async def _send(self, message: bytes, connection: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> Response:
        reader, writer = connection
        try:
            writer.write(message)
            response, keep = await asyncio.wait_for(_read_response(reader), self.timeout)
        except BaseException:
            self._close(writer)  # a half-read answer: the connection is not reusable
            raise
        if keep:
            self._idle.append((reader, writer, asyncio.get_running_loop().time()))
        else:
            self._close(writer)
        return response

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self._host, self._port), self.timeout)
        self._open.add(writer)
        return reader, writer

    def _close(self, writer: asyncio.StreamWriter) -> None:
        self._open.discard(writer)
        writer.close()

    async def aclose(self) -> None:
        for writer in list(self._open):
            self._close(writer)
        self._idle.clear()

    async def __aenter__(self) -> "LeanClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


class _Closed(Exception):
    """The connection ended before the first byte of an answer."""


async def _read_response(reader: asyncio.StreamReader) -> tuple[Response, bool]:
    """One answer: (the response, whether the connection stays open)."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if not error.partial:
            raise _Closed from error
        raise HttpError("the server closed the connection mid-answer") from error
    except ConnectionResetError as error:
        raise _Closed from error
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise HttpError(f"not an HTTP answer: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        content = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        content = await _chunks(reader)
    else:
        raise HttpError("an answer without a length")
    return Response(int(parts[1]), content), headers.get("connection", "").lower() != "close"


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    content = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent by the apps measured
            return bytes(content)
        content += await reader.readexactly(size)
        await reader.readexactly(2)
