"""Background workers: the inbox worker (dispatch) and the outbox worker (delivery).

Both claim rows with a lease (``claimed_until``), so a crashed process releases its rows when the
lease runs out; on PostgreSQL several processes share each queue with ``FOR UPDATE SKIP LOCKED``.

The inbox worker dispatches each message in one unit of work that also marks the row done: a
message's effects (tickets, outbox rows) and its "done" mark commit together or not at all, which
makes redelivery after a crash harmless.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from bot.channels.base import ChannelAdapter, Outbound, SendError
from bot.db import Database
from bot.services import inbox, registry
from bot.settings import Settings
from handlers.base import Context
from handlers.dispatcher import Dispatcher
from models.base import utcnow
from models.inbox import InboxMessage, InboxStatus
from models.outbox import OutboxMessage, OutboxStatus
from models.registry import Group

logger = logging.getLogger(__name__)


def worker_name(kind: str) -> str:
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"


async def _wait(stop: asyncio.Event, wakeup: asyncio.Event | None, seconds: float) -> None:
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
    ) -> None:
        self.db = db
        self.settings = settings
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
                await _wait(stop, self.wakeup, self.settings.inbox.poll_interval_s)

    async def drain_once(self) -> int:
        """Claim one batch and process it. Returns how many rows were claimed."""
        cfg = self.settings.inbox
        async with self.db.unit_of_work() as session:
            ids = await inbox.claim(
                session=session, worker_id=self.worker_id, limit=cfg.batch_size, lease_s=cfg.lease_s
            )
        for inbox_id in ids:
            await self.process(inbox_id)
        return len(ids)

    async def process(self, inbox_id: int) -> None:
        try:
            async with self.db.unit_of_work() as session:
                row = await session.get(InboxMessage, inbox_id)
                if row is None or row.status != InboxStatus.PENDING.value:
                    return
                msg = inbox.to_message(row)
                now = utcnow()
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
                    group.last_activity_at = now
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


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform in [base/2, min(cap, base * 2**attempts)]."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return random.uniform(min(base / 2, ceiling), ceiling)


class OutboxWorker:
    """Delivers due outbox rows through the channel adapters, with retries and a lease per row.

    Pacing hooks: ``limiter`` (if given) is awaited before each send with the row; it must return
    only when sending will not break the platform's limits.
    """

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        adapters: Mapping[str, ChannelAdapter],
        limiter: Any = None,
        wakeup: asyncio.Event | None = None,
        metrics: Any = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.adapters = adapters
        self.limiter = limiter
        self.wakeup = wakeup
        self.metrics = metrics
        self.worker_id = worker_name("outbox")
        self._robot_keys: dict[str, str | None] = {}

    async def run(self, stop: asyncio.Event) -> None:
        logger.info("outbox worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                done = await self.drain_once()
            except Exception:
                logger.exception("outbox worker: drain failed; retrying")
                done = 0
            if done == 0:
                await _wait(stop, self.wakeup, self.settings.outbox.poll_interval_s)

    async def claim(self) -> list[OutboxMessage]:
        cfg = self.settings.outbox
        now = utcnow()
        async with self.db.unit_of_work() as session:
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING.value, OutboxMessage.next_attempt_at <= now
                )
                .where(or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
                .order_by(OutboxMessage.priority, OutboxMessage.id)
                .limit(cfg.batch_size)
            )
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            if rows:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([r.id for r in rows]))
                    .values(claimed_until=now + timedelta(seconds=cfg.lease_s), claimed_by=self.worker_id)
                )
            keys = {r.group_id for r in rows if r.group_id and r.group_id not in self._robot_keys}
            if keys:
                found = await session.execute(
                    select(Group.group_id, Group.robot_key).where(Group.group_id.in_(keys))
                )
                self._robot_keys.update(dict(found.tuples().all()))
        return rows

    async def drain_once(self) -> int:
        rows = await self.claim()
        if not rows:
            return 0
        sem = asyncio.Semaphore(self.settings.outbox.concurrency)

        async def one(row: OutboxMessage) -> None:
            async with sem:
                await self.deliver(row)

        await asyncio.gather(*(one(r) for r in rows))
        return len(rows)

    def to_outbound(self, row: OutboxMessage) -> Outbound:
        return Outbound(
            id=row.id,
            channel=row.channel,
            target_kind=row.target_kind,
            target=row.target,
            body=row.body,
            dedupe_key=row.dedupe_key,
            group_id=row.group_id,
            msgtype=row.msgtype,
            mentions=tuple(row.mentions or ()),
            reply_url=row.reply_url,
            robot_key=self._robot_keys.get(row.group_id or ""),
        )

    async def deliver(self, row: OutboxMessage) -> None:
        item = self.to_outbound(row)
        adapter = self.adapters.get(item.channel)
        error: SendError | None = None
        if adapter is None:
            error = SendError(f"channel {item.channel!r} is not configured", retryable=False)
        else:
            try:
                if self.limiter is not None:
                    await self.limiter.acquire(item)
                await adapter.send(item)
            except SendError as exc:
                error = exc
            except Exception as exc:  # an adapter bug must not kill the worker; retry later
                logger.exception("adapter %s raised on row %s", item.channel, item.id)
                error = SendError(f"{type(exc).__name__}: {exc}", retryable=True)
        await self.record(row.id, error)

    async def record(self, row_id: int, error: SendError | None) -> None:
        cfg = self.settings.outbox
        now = utcnow()
        async with self.db.unit_of_work() as session:
            row = await session.get(OutboxMessage, row_id)
            if row is None or row.status != OutboxStatus.PENDING.value or row.claimed_by != self.worker_id:
                return  # cancelled meanwhile, or our lease was lost and another worker owns it
            row.attempts += 1
            row.claimed_until = None
            if error is None:
                row.status = OutboxStatus.SENT.value
                row.sent_at = now
                row.last_error = None
                outcome = "sent"
            else:
                row.last_error = error.reason[:1000]
                row.ambiguous = row.ambiguous or error.ambiguous
                if not error.retryable:
                    row.status = OutboxStatus.FAILED.value
                    outcome = "failed"
                elif row.attempts >= cfg.max_attempts:
                    row.status = (OutboxStatus.AMBIGUOUS if row.ambiguous else OutboxStatus.FAILED).value
                    outcome = "failed"
                else:
                    delay = backoff_seconds(row.attempts, cfg.backoff_base_s, cfg.backoff_max_s)
                    if error.retry_after is not None:
                        delay = max(delay, error.retry_after)
                    row.next_attempt_at = now + timedelta(seconds=delay)
                    outcome = "retry"
        if self.metrics is not None:
            self.metrics.outbox_result(channel="", outcome=outcome)
        if outcome == "failed":
            logger.warning("outbox row %s failed for good: %s", row_id, error.reason if error else "")
