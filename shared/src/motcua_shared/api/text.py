"""Text every store can keep: no NUL character (U+0000). PostgreSQL, under FerretDB, refuses it in
any text (a query filter or a stored document), so a request carrying one is refused at the edge with
422 `invalid_character` rather than failing in the store as 503 or, in an event, poisoning a consumer."""

from urllib.parse import unquote_to_bytes

from starlette.types import Message, Receive, Scope, Send

from ..asgi import HttpMiddleware
from ..events.parsing import json_has_nul
from .errors import FieldProblem, error_response

MESSAGE = "text may not contain the NUL character (U+0000)"


class NoNulCharacters(HttpMiddleware):
    """Refuses a request whose path, query or JSON body holds U+0000. Sits inside BodySizeLimit, which
    has read the whole body already, so the body is scanned once, in memory."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        where = None
        if "\x00" in scope.get("path", ""):
            where = "path"
        elif b"\x00" in unquote_to_bytes(scope.get("query_string", b"")):
            where = "query"
        else:
            message = await receive()
            if message["type"] == "http.request" and json_has_nul(message.get("body", b"")):
                where = "body"
            receive = _replaying(message, receive)
        if where is not None:
            response = error_response(422, "invalid_character", MESSAGE, [FieldProblem(field=where, message=MESSAGE)])
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _replaying(first: Message, receive: Receive) -> Receive:
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return first
        return await receive()

    return replay
