"""The one place a parsed inbound message is committed to the inbox before the ack.

``start_ingest`` builds a process's write path (``app.state.ingest``): the group-committing
:class:`InboxWriter`, and on SQLite the spool and its mover (``bot/spool.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import suppress
from typing import Any

from fastapi import Request

from bot.db import Database
from bot.messages import IncomingMessage
from bot.services import inbox
from bot.settings import Settings
from bot.spool import SHARED_POLL_S, Spool, SpoolMover, spool_path

logger = logging.getLogger(__name__)


async def store_and_ack(request: Request, msg: IncomingMessage, raw: str) -> bool:
    """Commit ``msg`` to the inbox (deduplicated) and wake the inbox worker. Returns whether it was new.

    Returns only after the commit: an ack is never sent for a message that is not durable.
    """
    state = request.app.state
    started = time.perf_counter()
    created = await state.ingest.writer.submit(msg, raw, ingest_priority(state, msg))
    metrics = getattr(state, "metrics", None)
    if metrics is not None:
        metrics.message_received(channel=msg.channel, new=created, seconds=time.perf_counter() - started)
    if not created:
        logger.info("duplicate %s message %s ignored", msg.channel, msg.msg_id)
    return created


def ingest_priority(state: Any, msg: IncomingMessage) -> int:
    """URGENT when the classifier already sees an emergency: such a row is dispatched before
    everything else and is never held back behind acks.

    Most messages carry no emergency cue at all; ``may_be_urgent`` rules those out in a few µs, and
    only the rest pay for a full ``classify`` (~35-60 µs, the largest item of a webhook's own CPU
    before the screen).
    """
    holder = getattr(state, "classifier", None)
    if holder is None or not msg.text:
        return inbox.NORMAL
    try:
        urgent = holder.may_be_urgent(msg.text) and holder.classify(msg.text).urgent
    except Exception:  # never let triage cost an ack: dispatch classifies again
        logger.exception("ingest triage failed for %s:%s", msg.channel, msg.msg_id)
        return inbox.NORMAL
    return inbox.URGENT if urgent else inbox.NORMAL


class InboxWriter:
    """Group commit for the inbox: concurrent webhook requests share one transaction.

    Each request queues its message and waits; one flusher task writes everything queued so far with
    one ``INSERT ... ON CONFLICT DO NOTHING`` (executemany) and one commit, then answers every waiter.
    Under light load a batch is one message (no added delay); under a burst, the commit cost and the
    SQLite writer lock are paid once per batch instead of once per message. A failed commit fails
    every request of its batch (the platform retries them), so nothing is acked that was not stored.

    With a ``spool`` (SQLite, see ``bot/spool.py``) the batch is committed to the spool file instead
    of the inbox table, and ``wakeup`` wakes the spool mover (which tells ``pressure`` about urgent
    rows once they are in the inbox); otherwise ``wakeup`` wakes the inbox worker and the writer
    tells ``pressure`` itself.
    """

    def __init__(
        self,
        db: Database,
        *,
        spool: Spool | None = None,
        wakeup: asyncio.Event | None = None,
        pressure: IngestPressure | None = None,
        max_batch: int = 200,
    ) -> None:
        self.db = db
        self.spool = spool
        self.wakeup = wakeup
        self.pressure = pressure  # told when an urgent row is in the inbox table
        self.max_batch = max_batch
        self._queue: list[tuple[IncomingMessage, str, int, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, msg: IncomingMessage, raw: str, priority: int = inbox.NORMAL) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((msg, raw, priority, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="inbox-writer")
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
            items = [(m, r, p) for m, r, p, _ in batch]
            try:
                if self.spool is not None:
                    created = await self.spool.add_many(items)
                else:
                    async with self.db.unit_of_work() as session:
                        created = await inbox.accept_many(session=session, items=items)
            except Exception as exc:
                logger.exception("inbox write of %d message(s) failed", len(batch))
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            if self.wakeup is not None and any(created):
                self.wakeup.set()
            if self.pressure is not None and any(
                new and p == inbox.URGENT for (_, _, p, _), new in zip(batch, created, strict=True)
            ):
                self.pressure.urgent_arrived()
            for (*_, future), new in zip(batch, created, strict=True):
                if not future.done():
                    future.set_result(new)


class IngestPressure:
    """Whether webhooks are busy, so that background dispatch lets acknowledgements go first.

    The inbox worker calls :meth:`calm` before each non-urgent dispatch. It returns once no webhook
    has been in flight for ``quiet_s``, or after ``max_wait_s`` at the latest (dispatch never starves).
    Under a burst, callbacks are acknowledged at full speed and the durable inbox absorbs the backlog;
    urgent rows (priority 0) skip the wait.

    It also carries the "an emergency just became claimable" signal: whoever puts an urgent row
    into the inbox table (the inbox writer, or the spool mover) calls :meth:`urgent_arrived`, and
    the inbox worker, between two rows of a claimed batch, gives the rest of the batch back and
    claims again (urgent first) instead of finishing the batch (see ``InboxWorker.drain_once``).
    """

    def __init__(self, *, quiet_s: float = 0.005, max_wait_s: float = 0.05) -> None:
        self.inflight = 0
        self.quiet_s = quiet_s
        self.max_wait_s = max_wait_s
        self.last_active = 0.0
        self.busy_until = 0.0  # acks seen elsewhere (other web processes, via the spool)
        self._urgent = False

    def urgent_arrived(self) -> None:
        self._urgent = True

    def take_urgent(self) -> bool:
        """Whether an urgent row arrived since the last call (and forget it)."""
        urgent, self._urgent = self._urgent, False
        return urgent

    def enter(self) -> None:
        self.inflight += 1

    def leave(self) -> None:
        self.inflight = max(0, self.inflight - 1)
        self.last_active = time.monotonic()

    def acked_elsewhere(self, seconds: float) -> None:
        """Other processes are acknowledging (the primary's mover just moved their rows): count as busy."""
        self.busy_until = max(self.busy_until, time.monotonic() + seconds)

    def busy(self) -> bool:
        now = time.monotonic()
        return self.inflight > 0 or now - self.last_active < self.quiet_s or now < self.busy_until

    async def calm(self) -> None:
        """Wait for a quiet period (at most ``max_wait_s``); an urgent arrival ends the wait at once."""
        deadline = time.monotonic() + self.max_wait_s
        while self.busy() and not self._urgent and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(self.quiet_s / 2)


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
    if not settings.server.move_spool:  # an extra web process of `serve`: the primary moves (bot/serve.py)
        return Ingest(InboxWriter(db, spool=spool), spool, None)
    shared = settings.server.web_processes > 1
    moved = asyncio.Event()
    mover = SpoolMover(
        spool=spool,
        db=db,
        wakeup=moved,
        inbox_wakeup=inbox_wakeup,
        on_urgent=pressure.urgent_arrived,
        keep_s=settings.inbox.spool_keep_s,
        poll_s=SHARED_POLL_S if shared else 1.0,
        # Acks of the other web processes reach this process only through the spool: while they come,
        # dispatch here yields to them as it does to its own (the primary shares the cores with them).
        on_moved=(lambda: pressure.acked_elsewhere(2 * SHARED_POLL_S)) if shared else None,
    )
    moved.set()  # move what a previous run left behind, at once
    return Ingest(InboxWriter(db, spool=spool, wakeup=moved), spool, mover)
