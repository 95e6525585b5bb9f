"""The ingest spool: where webhooks commit messages before the ack when the database is SQLite.

Why: SQLite has one writer per file. When webhooks committed straight into the ``inbox`` table,
every ack waited for whatever transaction held the writer turn: a dispatch (15-40 ms), a scheduler
job (up to ~90 ms), measured with bench/ingest.py. The spool is a second, tiny SQLite file (WAL,
same durability as the main database) that only the webhooks and the mover write to, so an ack
waits for nothing but its own group commit.

The flow: webhook -> spool (commit, then 200) -> :class:`SpoolMover` -> ``inbox`` table (one unit
of work per batch, ``ON CONFLICT DO NOTHING``) -> the inbox worker, as before. The mover marks rows
moved only after the inbox commit, so a crash between the two moves a row twice, and the inbox's
unique (channel, msg_id) drops the second copy: every acknowledged message reaches the inbox once.
After a kill -9 the mover of the next start moves whatever was left.

Moved rows are kept for ``inbox.spool_keep_s`` (a day by default) so that a platform retry of an
already moved message is still recognised as a duplicate at the ack; older rows are purged.

The spool is a private buffer with one table, created here (``CREATE TABLE IF NOT EXISTS``,
``PRAGMA user_version`` for its format), not part of the Alembic-managed schema. PostgreSQL has no
single-writer lock and needs no spool: webhooks insert into ``inbox`` directly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bot.db import Database
from bot.messages import IncomingMessage
from bot.services import inbox
from models.inbox import InboxStatus

logger = logging.getLogger(__name__)

FORMAT = 2
#: The primary's mover polls this often when other web processes spool too (bot/serve.py): it gets
#: no in-process wakeup for their rows, and an emergency must not wait for the idle poll (1 s).
SHARED_POLL_S = 0.02
# The inbox row's own columns (no JSON blob around ``raw``: escaping it cost ~10% of an ack's CPU).
_COLUMNS = (
    "priority",
    "channel",
    "msg_id",
    "group_id",
    "group_name",
    "sender_id",
    "sender_name",
    "text",
    "mentions",
    "reply_url",
    "raw",
    "received_at",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    id INTEGER PRIMARY KEY,
    priority INTEGER NOT NULL,
    channel TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    group_id TEXT,
    group_name TEXT,
    sender_id TEXT NOT NULL,
    sender_name TEXT,
    text TEXT NOT NULL,
    mentions TEXT NOT NULL,
    reply_url TEXT,
    raw TEXT NOT NULL,
    received_at TEXT NOT NULL,
    moved INTEGER NOT NULL DEFAULT 0,
    spooled_at REAL NOT NULL,
    UNIQUE (channel, msg_id)
);
CREATE INDEX IF NOT EXISTS spool_unmoved ON spool (moved, id);
"""
_INSERT = (
    f"INSERT INTO spool ({', '.join(_COLUMNS)}, spooled_at) VALUES ({', '.join('?' * (len(_COLUMNS) + 1))}) "
    "ON CONFLICT (channel, msg_id) DO NOTHING"
)
_SELECT = f"SELECT id, {', '.join(_COLUMNS)} FROM spool WHERE moved = 0 ORDER BY id LIMIT ?"


def spool_path(database_url: str) -> Path | None:
    """Where the spool of a SQLite database lives (beside it), or None for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    db = Path(url.database)
    return db.with_name(f"{db.stem}-spool{db.suffix or '.db'}")


def _encode(msg: IncomingMessage, raw: str, priority: int) -> tuple[Any, ...]:
    return (
        priority,
        msg.channel,
        msg.msg_id,
        msg.group_id,
        msg.group_name,
        msg.sender_id,
        msg.sender_name,
        msg.text,
        json.dumps(list(msg.mentions), ensure_ascii=False) if msg.mentions else "[]",
        msg.reply_url,
        raw,
        msg.received_at.isoformat(),
    )


def _decode(values: tuple[Any, ...]) -> dict[str, Any]:
    row = dict(zip(_COLUMNS, values, strict=True))
    row["mentions"] = json.loads(row["mentions"])
    row["received_at"] = datetime.fromisoformat(row["received_at"])
    row["status"] = InboxStatus.PENDING.value
    row["attempts"] = 0
    return row


class Spool:
    """One spool file, one connection, used from the event loop's own thread only.

    Each call is a short SQLite operation on a local file (WAL; no fsync at commit with
    ``synchronous=NORMAL``): a group commit of a few inserts, or one indexed read or update of at
    most a mover batch. Handing them to a worker thread cost more than running them: a thread hop
    per batch was 20-30% of an ack's CPU in bench/ingest.py (server CPU per ack, A/B). The one
    long operation, purging a day of moved rows, runs in chunks that yield to the loop.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # as the main database: survives kill -9
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, FORMAT):
            conn.close()
            raise RuntimeError(
                f"{self.path}: spool format {version}, this WeiGrid reads {FORMAT}; "
                "start the WeiGrid that wrote it to empty it, or move the file away"
            )
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version={FORMAT}")
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("spool is not open")
        return self._conn

    async def add_many(self, items: list[tuple[IncomingMessage, str, int]]) -> list[bool]:
        """Commit (message, raw, priority) items; for each, whether it was new. One transaction."""
        encoded = [_encode(m, r, p) for m, r, p in items]
        return self._add_many(encoded)

    def _add_many(self, encoded: list[tuple[Any, ...]]) -> list[bool]:
        conn, now = self._db(), time.time()
        created = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for values in encoded:
                created.append(conn.execute(_INSERT, (*values, now)).rowcount == 1)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return created

    async def unmoved(self, limit: int) -> list[tuple[int, dict[str, Any]]]:
        """Up to ``limit`` rows not yet in the inbox, oldest first: (spool id, inbox row values)."""
        return [(int(r[0]), _decode(r[1:])) for r in self._unmoved(limit)]

    def _unmoved(self, limit: int) -> list[tuple[Any, ...]]:
        return self._db().execute(_SELECT, (limit,)).fetchall()

    async def mark_moved(self, ids: list[int]) -> None:
        self._mark_moved(ids)

    def _mark_moved(self, ids: list[int]) -> None:
        conn = self._db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("UPDATE spool SET moved = 1 WHERE id = ?", [(i,) for i in ids])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def pending(self) -> int:
        """How many acknowledged messages are not in the inbox table yet."""
        return self._pending()

    def _pending(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM spool WHERE moved = 0").fetchone()[0])

    async def purge(self, older_than_s: float, chunk: int = 1000) -> int:
        """Delete moved rows spooled more than ``older_than_s`` ago. Returns how many.

        In chunks, yielding to the event loop between them, so acks wait for a chunk at most, not
        for a day's worth of rows.
        """
        before, total = time.time() - older_than_s, 0
        while True:
            n = self._purge_chunk(before, chunk)
            total += n
            if n < chunk:
                return total
            await asyncio.sleep(0)

    def _purge_chunk(self, before: float, chunk: int) -> int:
        cur = self._db().execute(
            "DELETE FROM spool WHERE id IN "
            "(SELECT id FROM spool WHERE moved = 1 AND spooled_at < ? ORDER BY id LIMIT ?)",
            (before, chunk),
        )
        return int(cur.rowcount)


class SpoolMover:
    """Moves spooled messages into the inbox table and wakes the inbox worker.

    Runs in every process that takes webhooks (also web-only ones: it is part of ingest, not of the
    workers). It does not wait for quiet periods: an emergency must reach the inbox at once.
    """

    def __init__(
        self,
        *,
        spool: Spool,
        db: Database,
        wakeup: asyncio.Event,
        inbox_wakeup: asyncio.Event | None,
        on_urgent: Callable[[], None] | None = None,
        on_moved: Callable[[], None] | None = None,
        batch: int = 200,  # bounds the work one move does on the event loop (read, decode, mark)
        keep_s: float = 86400.0,
        poll_s: float = 1.0,
    ) -> None:
        self.spool = spool
        self.db = db
        self.wakeup = wakeup
        self.inbox_wakeup = inbox_wakeup
        self.on_urgent = on_urgent  # IngestPressure.urgent_arrived: the worker preempts its batch
        self.on_moved = on_moved  # with rows moved: IngestPressure.acked_elsewhere (bot/serve.py)
        self.batch = batch
        self.keep_s = keep_s
        self.poll_s = poll_s
        self._last_purge = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        from bot.workers import wait_for_work

        while not stop.is_set():
            try:
                moved = await self.move_once()
                if time.monotonic() - self._last_purge > 600:
                    self._last_purge = time.monotonic()
                    await self.spool.purge(self.keep_s)
            except Exception:
                logger.exception("spool mover: move failed; retrying")
                moved = 0
                await asyncio.sleep(self.poll_s)
            if moved < self.batch:
                await wait_for_work(stop, self.wakeup, self.poll_s)

    async def move_once(self) -> int:
        """Move one batch. Returns how many spooled rows it took."""
        rows = await self.spool.unmoved(self.batch)
        if not rows:
            return 0
        async with self.db.unit_of_work() as session:
            await inbox.insert_rows(session=session, rows=[r for _, r in rows])
        await self.spool.mark_moved([i for i, _ in rows])
        if self.on_urgent is not None and any(r["priority"] == inbox.URGENT for _, r in rows):
            self.on_urgent()
        if self.on_moved is not None:
            self.on_moved()
        if self.inbox_wakeup is not None:
            self.inbox_wakeup.set()
        return len(rows)

    async def drain(self) -> None:
        """Move everything spooled so far (start-up recovery, tests, shutdown)."""
        while await self.move_once() >= self.batch:
            pass
