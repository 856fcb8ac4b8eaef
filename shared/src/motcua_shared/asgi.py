"""The shape of motcua's ASGI middlewares: each acts on HTTP requests only, and lets anything else
(the lifespan's messages) pass through untouched."""

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """Subclasses say in `http` what they do with a request; `self.app` is the app they wrap."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError
