"""The inbox worker (dispatch), and what both background workers share.

The inbox and outbox workers (the latter in ``bot/outbox_worker.py``) claim rows with a lease
(``claimed_until``), so a crashed process releases its rows when the lease runs out; on PostgreSQL
several processes share each queue with ``FOR UPDATE SKIP LOCKED``.

The inbox worker dispatches each message in one unit of work that also marks the row done: a
message's effects (tickets, outbox rows) and its "done" mark commit together or not at all, which
makes redelivery after a crash harmless.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.services import inbox, registry
from bot.settings import Settings
from handlers.base import Context
from handlers.dispatcher import Dispatcher
from models.base import utcnow
from models.inbox import InboxMessage, InboxStatus

logger = logging.getLogger(__name__)


#: ``groups.last_activity_at`` is shown to the minute in the console; refreshing it on every message
#: cost an UPDATE per message.
ACTIVITY_RESOLUTION = timedelta(minutes=1)


def worker_name(kind: str) -> str:
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"


async def wait_for_work(stop: asyncio.Event, wakeup: asyncio.Event | None, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wakeup is not None:
        waiters.append(asyncio.ensure_future(wakeup.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
    if wakeup is not None:
        wakeup.clear()


class InboxWorker:
    """Drains the inbox through the dispatcher, oldest first, at least once."""

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        dispatcher: Dispatcher,
        classifier: Any,
        wakeup: asyncio.Event | None = None,
        metrics: Any = None,
        pressure: Any = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.clock = clock  # the handlers' "now" (care periods, SLAs); tests pin it
        self.settings = settings
        self.pressure = pressure  # IngestPressure: acks go before dispatch
        self.dispatcher = dispatcher
        self.classifier = classifier
        self.wakeup = wakeup
        self.metrics = metrics
        self.worker_id = worker_name("inbox")

    async def run(self, stop: asyncio.Event) -> None:
        logger.info("inbox worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                done = await self.drain_once()
            except Exception:
                logger.exception("inbox worker: drain failed; retrying")
                done = 0
            if done == 0:
                await wait_for_work(stop, self.wakeup, self.settings.inbox.poll_interval_s)

    async def drain_once(self) -> int:
        """Claim one batch and process it. Returns how many rows were claimed."""
        cfg = self.settings.inbox
        async with self.db.unit_of_work() as session:
            rows = await inbox.claim(
                session=session, worker_id=self.worker_id, limit=cfg.batch_size, lease_s=cfg.lease_s
            )
        claimed_at = asyncio.get_running_loop().time()
        for index, (inbox_id, priority) in enumerate(rows):
            if asyncio.get_running_loop().time() - claimed_at > cfg.lease_s / 2:
                await self._give_back(rows[index:])  # our lease is running out
                break
            if self.pressure is not None and priority > inbox.URGENT:
                # Acks first (a quiet period); but an emergency that became claimable meanwhile
                # goes before the rest of this batch: give it back and claim again, urgent first.
                urgent = self.pressure.take_urgent()
                if not urgent:
                    await self.pressure.calm()
                    urgent = self.pressure.take_urgent()
                if urgent:
                    await self._give_back(rows[index:])
                    break
            await self.process(inbox_id)
        return len(rows)

    async def _give_back(self, rows: list[tuple[int, int]]) -> None:
        async with self.db.unit_of_work() as session:
            await inbox.release(session=session, ids=[i for i, _ in rows])

    async def process(self, inbox_id: int) -> None:
        try:
            async with self.db.unit_of_work() as session:
                # Lock the row (PostgreSQL): a second worker whose lease overlapped waits here and
                # then sees "done". SQLite serialises writers with BEGIN IMMEDIATE already.
                row = await session.scalar(
                    select(InboxMessage)
                    .where(InboxMessage.id == inbox_id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                )
                if row is None or row.status != InboxStatus.PENDING.value:
                    return
                msg = inbox.to_message(row)
                now = self.clock()
                group = None
                if msg.group_id is not None:
                    group = await registry.get_group(session=session, group_id=msg.group_id)
                    if group is None or not group.registered:
                        if group is None:
                            await registry.note_unknown_group(
                                session=session,
                                group_id=msg.group_id,
                                name=msg.group_name,
                                channel=msg.channel,
                            )
                        inbox.mark(row, InboxStatus.HELD, error="group not in the registry")
                        logger.warning("message from unregistered group %s held for adoption", msg.group_id)
                        return
                    last = group.last_activity_at  # UTCDateTime: always timezone-aware
                    if last is None or now - last >= ACTIVITY_RESOLUTION:
                        group.last_activity_at = now  # an UPDATE a minute for a chatty group
                sender = await registry.person_for(
                    session=session, channel=msg.channel, user_id=msg.sender_id
                )
                if group is None and sender is not None and sender.group_id:
                    group = await registry.get_group(session=session, group_id=sender.group_id)
                ctx = Context(
                    session=session,
                    settings=self.settings,
                    classifier=self.classifier,
                    now=now,
                    sender=sender,
                    group=group,
                )
                handled_by = await self.dispatcher.dispatch(msg, ctx)
                inbox.mark(row, InboxStatus.DONE, at=now)
                if self.metrics is not None:
                    self.metrics.message_processed(handler=handled_by or "none")
        except Exception as exc:
            logger.exception("inbox row %s failed", inbox_id)
            await self._failed(inbox_id, exc)

    async def _failed(self, inbox_id: int, exc: Exception) -> None:
        async with self.db.unit_of_work() as session:
            row = await session.get(InboxMessage, inbox_id)
            if row is None or row.status != InboxStatus.PENDING.value:
                return
            if row.attempts >= self.settings.inbox.max_attempts:
                inbox.mark(row, InboxStatus.FAILED, error=repr(exc)[:1000])
            else:
                row.last_error = repr(exc)[:1000]
                row.claimed_until = utcnow() + timedelta(seconds=2 ** min(row.attempts, 8))
