"""The one place routers are mounted on the app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, Response

from bot.api import local, stats, tickets
from bot.webhooks import bridge, wecom, wecom_bot


def include_routers(app: FastAPI) -> None:
    for module in (wecom, wecom_bot, bridge, tickets, stats, local):
        app.include_router(module.router)

    @app.get("/healthz", tags=["health"], response_class=PlainTextResponse)
    async def healthz() -> str:
        """Liveness: no auth, no database."""
        return "ok"

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(app.state.metrics.render(), media_type="text/plain; version=0.0.4")
