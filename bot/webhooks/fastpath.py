"""The three message routes, served by an ASGI middleware ahead of the router.

Every group message is one ``POST`` to ``/wecom/callback``, ``/wecom/bot`` or ``/bridge/messages``.
They are the hot path, and bench/ingest.py measured FastAPI's and Starlette's per-request layers
below the outer middleware (exception middleware, exit stack, routing, the request/response
wrapper) as a large share of an ack's CPU. :class:`MessageRoutes` calls the endpoint functions
(``Request`` in, ``Response`` out) directly and renders their :class:`~bot.webhooks.common.BadInput`
errors with the app's own error shape (``bot/errors.py``). It sits inside the app's outer
middleware, so an unexpected exception still becomes a logged 500, and tests through
``httpx.ASGITransport`` exercise exactly the path production uses. It also counts in-flight webhook
requests for :class:`~bot.webhooks.ingest.IngestPressure` (acks before dispatch).

Anything else (``GET`` URL verification, other methods, other paths) goes on to the router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.errors import http_error_response
from bot.webhooks import bridge, wecom, wecom_bot
from bot.webhooks.ingest import IngestPressure

Endpoint = Callable[[Request], Awaitable[Response]]

#: path -> the endpoint for ``POST`` (the only method that carries messages).
MESSAGE_ROUTES: dict[str, Endpoint] = {
    "/wecom/callback": wecom.receive,
    "/wecom/bot": wecom_bot.receive_bot,
    "/bridge/messages": bridge.receive_bridge,
}
PREFIXES = ("/wecom/", "/bridge/")


class MessageRoutes:
    """ASGI middleware: serves the message ``POST`` routes; counts every webhook in flight."""

    def __init__(self, app: ASGIApp, pressure: IngestPressure) -> None:
        self.app = app
        self.pressure = pressure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(PREFIXES):
            await self.app(scope, receive, send)
            return
        self.pressure.enter()
        try:
            endpoint = MESSAGE_ROUTES.get(path) if scope["method"] == "POST" else None
            if endpoint is None:
                await self.app(scope, receive, send)
                return
            try:
                response = await endpoint(Request(scope, receive))
            except HTTPException as exc:  # BadInput: a clear 4xx, nothing stored
                response = http_error_response(exc)
            await response(scope, receive, send)
        finally:
            self.pressure.leave()
