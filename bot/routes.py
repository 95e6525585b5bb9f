"""The one place routers are mounted on the app."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError

from bot.api import (
    audit,
    auth,
    care,
    delivery,
    groups,
    inhibitions,
    local,
    notices,
    open311,
    people,
    stats,
    tickets,
)
from bot.webhooks import wecom, wecom_bot


def include_routers(app: FastAPI) -> None:
    # The three message-receiving POST routes are not here: bot/webhooks/fastpath.py serves them
    # (a middleware ahead of the router; they are the hot path). Their GET URL checks are.
    for module in (
        wecom,
        wecom_bot,
        tickets,
        stats,
        local,
        auth,
        audit,
        groups,
        people,
        open311,
        notices,
        delivery,
        care,
    ):
        app.include_router(module.router)
    app.include_router(inhibitions.router)
    from bot.console import mount_console

    mount_console(app)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        """A value the database refuses (NUL bytes, out-of-range numbers) is bad input: 422, not 500."""
        from bot.app import error_body

        return JSONResponse(
            error_body("invalid_value", "a value is out of range or not storable"), status_code=422
        )

    app.add_exception_handler(OverflowError, data_error)  # type: ignore[arg-type]  # SQLite: int > 2**63

    @app.get("/healthz", tags=["health"], response_class=PlainTextResponse)
    async def healthz() -> str:
        """Liveness: no auth, no database."""
        return "ok"

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus metrics; the database-derived gauges are refreshed on each scrape."""
        db = getattr(app.state, "db", None)
        if db is not None:
            try:
                async with db.session() as session:
                    await app.state.metrics.refresh(session)
            except Exception:
                app.state.metrics.scrape_errors.inc()
                logging.getLogger(__name__).exception("metrics refresh failed")
        return Response(app.state.metrics.render(), media_type="text/plain; version=0.0.4")
