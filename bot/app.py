"""The FastAPI application: webhooks, API, console, and (by default) the workers and the scheduler.

``create_app`` builds everything from one Settings object. The lifespan owns the database engine, the
classifier, the inbox and outbox workers and the scheduler; ``server.run_workers`` and
``server.run_scheduler`` turn the background parts off for web-only processes.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.channels import build_adapters
from bot.db import Database
from bot.errors import error_body, http_error_response
from bot.metrics import Metrics
from bot.runtime import Background, freeze_startup_heap
from bot.settings import Settings, get_settings
from bot.webhooks.fastpath import MessageRoutes
from bot.webhooks.ingest import IngestPressure, start_ingest
from scheduler import Runtime, set_runtime

logger = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()
        ]
        return JSONResponse(
            error_body("invalid_request", "the request is invalid", errors=errors), status_code=422
        )


def load_classifier(settings: Settings) -> Any:
    from bot.classifier import ClassifierHolder

    return ClassifierHolder(settings.classifier_rules_path())


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    db = Database(settings.database.url, echo=settings.database.echo, pool_size=settings.database.pool_size)
    app.state.db = db
    app.state.classifier = load_classifier(settings)
    app.state.inbox_wakeup = asyncio.Event()
    app.state.outbox_wakeup = asyncio.Event()
    ingest = await start_ingest(settings, db, app.state.inbox_wakeup, app.state.ingest_pressure)
    app.state.ingest = ingest
    adapters = build_adapters(settings)
    app.state.adapters = adapters
    set_runtime(Runtime(db=db, settings=settings, extras={"classifier": app.state.classifier}))
    background = Background(
        db=db,
        settings=settings,
        classifier=app.state.classifier,
        adapters=adapters,
        metrics=app.state.metrics,
        inbox_wakeup=app.state.inbox_wakeup,
        outbox_wakeup=app.state.outbox_wakeup,
        pressure=app.state.ingest_pressure,
        workers=settings.server.run_workers,
        scheduler=settings.server.run_scheduler,
    )
    await background.start()
    app.state.scheduler = background.scheduler
    _install_sighup(app)
    freeze_startup_heap()
    try:
        yield
    finally:
        await ingest.stop()
        await background.stop()
        await adapters.aclose()
        set_runtime(None)
        await db.dispose()


def _install_sighup(app: FastAPI) -> None:
    """SIGHUP reloads the classifier rules; a bad file is refused and the old rules stay in force."""

    def reload() -> None:
        try:
            app.state.classifier.reload()
            logger.info("classifier rules reloaded on SIGHUP")
        except Exception as exc:
            logger.error("classifier rules NOT reloaded (old rules stay in force): %s", exc)
        for hook in app.state.sighup_hooks:  # e.g. forward to the other web processes (bot/serve.py)
            hook()

    with suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (default: the process settings)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="WeiGrid",
        version="0.1.0",
        description="Community grid governance backend (微网格): webhooks, tickets, notices, console.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.ingest_pressure = IngestPressure()
    app.state.sighup_hooks = []
    app.add_middleware(MessageRoutes, pressure=app.state.ingest_pressure)
    install_error_handlers(app)
    from bot.routes import include_routers

    include_routers(app)
    return app


__all__ = ["HTTPException", "create_app", "error_body"]
