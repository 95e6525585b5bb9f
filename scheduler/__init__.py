"""A thin wrapper over one APScheduler ``AsyncIOScheduler`` whose lifecycle belongs to the app.

* Jobs are module-level async functions next to their domain (scheduler/ticket.py, scheduler/notice.py),
  registered in ``scheduler.jobs.JOBS``. APScheduler is the ticker; what must survive a restart lives in
  our own tables (notice schedules with their ``next_run_at``, ticket SLA deadlines, care due dates), so a
  job that runs after downtime finds the missed work and does it once. We do not use APScheduler's
  SQLAlchemy job store: it runs blocking SQL on the event loop, which deadlocks against SQLite's
  single writer when an async transaction is open.
* Exactly one process runs the scheduler: it must hold the ``scheduler`` lease (a row in ``leases``,
  renewed every ``heartbeat_s`` and valid for ``ttl_s``). A second web worker waits as a standby and
  takes over when the holder stops renewing. This works the same on SQLite and PostgreSQL.
* Jobs reach the app through ``runtime()``: the database, settings and helpers of the running process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import or_, select, update

from bot.db import Database
from bot.services.dialect import insert_ignore
from bot.settings import Settings
from models.base import utcnow
from models.scheduler import Lease

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What scheduled jobs may use."""

    db: Database
    settings: Settings
    extras: dict[str, Any] = field(default_factory=dict)


_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The running process's runtime; jobs call this instead of holding references (jobs are pickled)."""
    if _runtime is None:
        raise RuntimeError("the scheduler runtime is not set")
    return _runtime


def set_runtime(value: Runtime | None) -> None:
    global _runtime
    _runtime = value


async def try_lease(*, db: Database, name: str, holder: str, ttl_s: float) -> bool:
    """Take or renew the lease ``name`` for ``holder``. Returns whether ``holder`` now holds it."""
    now = utcnow()
    async with db.unit_of_work() as session:
        await session.execute(
            insert_ignore(session, Lease.__table__).values(name=name, holder=holder, expires_at=now)
        )
        result = await session.execute(
            update(Lease)
            .where(Lease.name == name, or_(Lease.holder == holder, Lease.expires_at < now))
            .values(holder=holder, expires_at=now + timedelta(seconds=ttl_s))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def release_lease(*, db: Database, name: str, holder: str) -> None:
    async with db.unit_of_work() as session:
        await session.execute(
            update(Lease).where(Lease.name == name, Lease.holder == holder).values(expires_at=utcnow())
        )


async def lease_holder(*, db: Database, name: str) -> str | None:
    async with db.session() as session:
        lease = await session.scalar(select(Lease).where(Lease.name == name))
        return lease.holder if lease is not None and lease.expires_at > utcnow() else None


class SchedulerService:
    """Runs the registered jobs in one process at a time, guarded by the ``scheduler`` lease."""

    LEASE = "scheduler"

    def __init__(
        self, *, db: Database, settings: Settings, holder: str, heartbeat_s: float = 10, ttl_s: float = 30
    ):
        self.db = db
        self.settings = settings
        self.holder = holder
        self.heartbeat_s = heartbeat_s
        self.ttl_s = ttl_s
        self.scheduler: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def leading(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    def _build(self) -> AsyncIOScheduler:
        sched = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 24 * 3600},
            timezone=self.settings.timezone,
        )
        from scheduler.jobs import register_jobs

        sched.start(paused=True)
        register_jobs(sched, self.settings)
        sched.resume()
        return sched

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="scheduler-lease")

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                held = await try_lease(db=self.db, name=self.LEASE, holder=self.holder, ttl_s=self.ttl_s)
            except Exception:
                logger.exception("scheduler lease check failed")
                held = False
            if held and self.scheduler is None:
                logger.info("scheduler: %s holds the lease; starting jobs", self.holder)
                self.scheduler = self._build()  # brief blocking I/O at start-up only
            elif not held and self.scheduler is not None:
                logger.warning("scheduler: lease lost; stopping jobs")
                self.scheduler.shutdown(wait=False)
                self.scheduler = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.heartbeat_s)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            await release_lease(db=self.db, name=self.LEASE, holder=self.holder)
