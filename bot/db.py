"""Engine, sessions and the unit of work.

One transaction owner per unit of work: ``Database.unit_of_work()`` commits on success and rolls
back on error; services only ``add``/``flush``. SQLite runs in WAL mode and every transaction starts
with ``BEGIN IMMEDIATE`` so that concurrent writers queue on ``busy_timeout`` instead of failing
with "database is locked" on a read-to-write upgrade.

SQLite has one writer at a time. Inside one process, units of work take turns on an asyncio lock
(FIFO) before they begin, so a webhook's insert waits for at most the one transaction in progress and
is handed the database at once, instead of sleeping in SQLite's busy-handler backoff (which grows to
100 ms steps). The rule that comes with it: a unit of work must not wait on another task's unit of
work (it would wait forever). Other processes still meet at the file lock and ``busy_timeout``;
PostgreSQL needs no turns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

logger = logging.getLogger(__name__)


def async_url(url: str) -> str:
    """Map a plain database URL onto its async driver (sqlite → aiosqlite, postgresql → psycopg)."""
    u = make_url(url)
    if u.drivername in ("sqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+asyncpg"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The synchronous twin of a database URL (for Alembic and APScheduler's job store)."""
    u = make_url(async_url(url))
    if u.drivername == "sqlite+aiosqlite":
        u = u.set(drivername="sqlite")
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_path(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Owns the engine and hands out sessions."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.sqlite = is_sqlite(self.url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.sqlite:
            _prepare_sqlite_path(self.url)
            kwargs["connect_args"] = {"timeout": 15}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine = create_async_engine(self.url, **kwargs)
        if self.sqlite:
            _sqlite_pragmas(self.engine)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        self._writer = _TaskLock() if self.sqlite else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose caller decides when to commit (read paths, request handlers)."""
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session that commits when the block succeeds and rolls back when it raises.

        On SQLite it first takes this process's writer turn (see the module docstring).
        """
        gate = self._writer
        if gate is not None:
            await gate.acquire()
        try:
            async with self.sessionmaker() as session:
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
        finally:
            if gate is not None:
                gate.release()

    async def dispose(self) -> None:
        await self.engine.dispose()


class _TaskLock:
    """A FIFO asyncio lock that the task holding it may take again (nested units of work)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None
        self._depth = 0

    async def acquire(self) -> None:
        task = asyncio.current_task()
        if self._owner is task and task is not None:
            self._depth += 1
            return
        await self._lock.acquire()
        self._owner, self._depth = task, 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()
