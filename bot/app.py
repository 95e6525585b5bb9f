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
from bot.spool import Spool, SpoolMover, spool_path
from bot.webhooks.fastpath import MessageRoutes
from bot.webhooks.ingest import InboxWriter, IngestPressure
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
    app.state.spool = ingest.spool
    app.state.inbox_writer = ingest.writer
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


class Ingest:
    """The webhooks' write path of one process: the inbox writer and, on SQLite, the spool and its mover."""

    def __init__(self, writer: InboxWriter, spool: Spool | None, mover: SpoolMover | None) -> None:
        self.writer, self.spool, self.mover = writer, spool, mover
        self._stop = asyncio.Event()
        self._task = (
            asyncio.create_task(mover.run(self._stop), name="spool-mover") if mover is not None else None
        )

    async def stop_mover(self) -> None:
        """Stop moving spooled messages (shutdown; tests that hold messages in the spool)."""
        self._stop.set()
        if self._task is not None:
            with suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, timeout=10)

    async def stop(self) -> None:
        await self.stop_mover()
        if self.mover is not None:
            with suppress(Exception):  # what is left stays spooled; the next start moves it
                await asyncio.wait_for(self.mover.drain(), timeout=10)
        if self.spool is not None:
            await self.spool.close()


async def start_ingest(
    settings: Settings, db: Database, inbox_wakeup: asyncio.Event, pressure: IngestPressure
) -> Ingest:
    """The inbox writer, spooled on SQLite when ``inbox.spool`` is on (see bot/spool.py)."""
    path = spool_path(db.url) if settings.inbox.spool else None
    if path is None:
        return Ingest(InboxWriter(db, wakeup=inbox_wakeup, pressure=pressure), None, None)
    spool = Spool(path)
    await spool.open()
    moved = asyncio.Event()
    mover = SpoolMover(
        spool=spool,
        db=db,
        wakeup=moved,
        inbox_wakeup=inbox_wakeup,
        on_urgent=pressure.urgent_arrived,
        keep_s=settings.inbox.spool_keep_s,
    )
    moved.set()  # move what a previous run left behind, at once
    return Ingest(InboxWriter(db, spool=spool, wakeup=moved), spool, mover)


def _install_sighup(app: FastAPI) -> None:
    """SIGHUP reloads the classifier rules; a bad file is refused and the old rules stay in force."""

    def reload() -> None:
        try:
            app.state.classifier.reload()
            logger.info("classifier rules reloaded on SIGHUP")
        except Exception as exc:
            logger.error("classifier rules NOT reloaded (old rules stay in force): %s", exc)

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
    app.add_middleware(MessageRoutes, pressure=app.state.ingest_pressure)
    install_error_handlers(app)
    from bot.routes import include_routers

    include_routers(app)
    return app


__all__ = ["HTTPException", "create_app", "error_body"]
