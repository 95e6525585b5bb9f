"""The background half of a process: inbox worker, outbox worker and scheduler.

``weigrid serve`` runs it inside the web app's lifespan (unless ``server.run_workers`` /
``server.run_scheduler`` turn parts off); ``weigrid worker`` runs it alone, without HTTP, so that web
processes only acknowledge callbacks and a separate process dispatches and delivers.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from contextlib import suppress
from typing import Any

from bot.channels import Adapters
from bot.db import Database
from bot.outbox_worker import OutboxWorker
from bot.settings import Settings
from bot.workers import InboxWorker, worker_name
from handlers import build_dispatcher
from scheduler import SchedulerService

logger = logging.getLogger(__name__)


def freeze_startup_heap() -> None:
    """Keep everything built at start-up (rules, ORM mappers, routes, settings) out of later GC passes.

    Measured with bench/ingest.py at 200 msg/s: a full (generation 2) collection over the start-up
    heap paused the event loop for 190-250 ms, and that pause was the whole p99 tail of the acks.
    After ``gc.freeze()`` the long-lived start-up objects sit in the permanent generation and later
    collections only scan what the running service allocates. Once per process: a second app in
    the same process (tests) must not freeze the first one's garbage forever.
    """
    global _heap_frozen
    if _heap_frozen:
        return
    _heap_frozen = True
    gc.collect()
    gc.freeze()


_heap_frozen = False


class Background:
    """Starts and stops the workers and the scheduler of one process."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        classifier: Any,
        adapters: Adapters,
        metrics: Any = None,
        inbox_wakeup: asyncio.Event | None = None,
        outbox_wakeup: asyncio.Event | None = None,
        pressure: Any = None,
        workers: bool = True,
        scheduler: bool = True,
    ) -> None:
        self.db = db
        self.settings = settings
        self.classifier = classifier
        self.adapters = adapters
        self.metrics = metrics
        self.inbox_wakeup = inbox_wakeup
        self.outbox_wakeup = outbox_wakeup
        self.pressure = pressure
        self.run_workers = workers
        self.run_scheduler = scheduler
        self.scheduler: SchedulerService | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self.run_workers:
            inbox_worker = InboxWorker(
                db=self.db,
                settings=self.settings,
                dispatcher=build_dispatcher(),
                classifier=self.classifier,
                wakeup=self.inbox_wakeup,
                metrics=self.metrics,
                pressure=self.pressure,
            )
            outbox_worker = OutboxWorker(
                db=self.db,
                settings=self.settings,
                adapters=self.adapters.adapters,
                limiter=self.adapters.limiter,
                wakeup=self.outbox_wakeup,
                metrics=self.metrics,
            )
            self._tasks.append(asyncio.create_task(inbox_worker.run(self._stop), name="inbox-worker"))
            self._tasks.append(asyncio.create_task(outbox_worker.run(self._stop), name="outbox-worker"))
        if self.run_scheduler:
            self.scheduler = SchedulerService(
                db=self.db, settings=self.settings, holder=worker_name("scheduler")
            )
            await self.scheduler.start()

    async def stop(self) -> None:
        self._stop.set()
        if self.scheduler is not None:
            await self.scheduler.stop()
        for task in self._tasks:
            with suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=10)


async def run_worker(settings: Settings) -> None:
    """``weigrid worker``: the background half alone, until SIGTERM or SIGINT. SIGHUP reloads the rules."""
    from bot.app import load_classifier
    from bot.channels import build_adapters
    from bot.metrics import Metrics
    from scheduler import Runtime, set_runtime

    db = Database(settings.database.url, echo=settings.database.echo, pool_size=settings.database.pool_size)
    classifier = load_classifier(settings)
    adapters = build_adapters(settings)
    set_runtime(Runtime(db=db, settings=settings, extras={"classifier": classifier}))
    background = Background(
        db=db, settings=settings, classifier=classifier, adapters=adapters, metrics=Metrics()
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)

    def reload() -> None:
        try:
            classifier.reload()
            logger.info("classifier rules reloaded on SIGHUP")
        except Exception as exc:
            logger.error("classifier rules NOT reloaded (old rules stay in force): %s", exc)

    loop.add_signal_handler(signal.SIGHUP, reload)
    await background.start()
    freeze_startup_heap()
    logger.info("worker running (inbox, outbox, scheduler); stop with SIGTERM")
    try:
        await stopped.wait()
    finally:
        await background.stop()
        await adapters.aclose()
        set_runtime(None)
        await db.dispose()
