"""The outbox worker: delivers due outbox rows through the channel adapters.

Only this worker talks to platforms. It claims rows with a lease, paces them through the rate limiter,
sends them as a pipeline (one slow target does not hold up the batch), retries with backoff and
jitter, and records outcomes in group commits; a row is marked sent only by the worker holding its lease.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update

from bot.channels.base import ChannelAdapter, Outbound, SendError
from bot.db import Database
from bot.settings import Settings
from bot.workers import wait_for_work, worker_name
from models.base import utcnow
from models.outbox import OutboxMessage, OutboxStatus
from models.registry import Group

logger = logging.getLogger(__name__)


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform in [base/2, min(cap, base * 2**attempts)]."""
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return random.uniform(min(base / 2, ceiling), ceiling)


class OutboxWorker:
    """Delivers due outbox rows through the channel adapters, with retries and a lease per row.

    * Claims: the most urgent rows first (``priority`` 0 = urgent), oldest first within a priority, with
      a lease (``claimed_until``); on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so several workers share
      the queue. A crashed worker's rows come back when their lease runs out.
    * A pipeline, not batches: up to ``outbox.concurrency`` sends are in flight; as soon as one finishes
      another row is claimed, so one slow target never holds up the rest.
    * ``limiter`` (if given) is awaited before each send (``await limiter.acquire(item)``) and returns
      only when sending will not break the platform's limits; a slot too far away raises ``Deferred``
      and the row is put back, unchanged, for later.
    * Results are written in small group commits; a row is marked sent only by the worker holding its
      lease, and a sent row is never claimed again. Retryable errors back off exponentially with jitter
      (at least the platform's ``retry_after``); permanent errors fail the row with the platform's reason;
      a timeout after sending marks the row ``ambiguous``.
    * Intelligent-robot replies use ``response_url`` once, within its hour; otherwise, or when it fails,
      the row is re-routed to the group's own channel.
    """

    RESPONSE_URL_TTL_S = 3500.0

    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        adapters: Mapping[str, ChannelAdapter],
        limiter: Any = None,
        wakeup: asyncio.Event | None = None,
        metrics: Any = None,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.adapters = adapters
        self.limiter = limiter
        self.wakeup = wakeup
        self.metrics = metrics
        self.worker_id = worker_id or worker_name("outbox")
        self._groups: dict[str, tuple[str, str | None]] = {}  # group_id -> (channel, robot_key)
        self._pending: list[tuple[int, SendError | None, float | None, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.sent = 0

    async def run(self, stop: asyncio.Event) -> None:
        logger.info("outbox worker %s started", self.worker_id)
        await self._seed_limiter()
        cfg = self.settings.outbox
        inflight: set[asyncio.Task[None]] = set()
        stop_waiter = asyncio.ensure_future(stop.wait())
        while not stop.is_set():
            room = cfg.concurrency - len(inflight)
            claimed = 0
            # Claim in chunks (one transaction per chunk), not one row each time a send finishes.
            if room > 0 and (not inflight or room >= max(1, cfg.concurrency // 2)):
                try:
                    rows = await self.claim(limit=min(room, cfg.batch_size))
                except Exception:
                    logger.exception("outbox worker: claim failed; retrying")
                    rows = []
                claimed = len(rows)
                for row in rows:
                    task = asyncio.create_task(self._deliver_safely(row))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
            if claimed and cfg.concurrency - len(inflight) >= max(1, cfg.concurrency // 2):
                continue  # there may be more due rows
            if inflight:
                await asyncio.wait(
                    [*inflight, stop_waiter],
                    timeout=cfg.poll_interval_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            else:
                await wait_for_work(stop, self.wakeup, cfg.poll_interval_s)
        stop_waiter.cancel()
        if inflight:
            await asyncio.wait(inflight, timeout=15)

    async def _seed_limiter(self) -> None:
        """Start the bridge's daily count from the rows sent today (the budget survives restarts)."""
        if self.limiter is None or not hasattr(self.limiter, "seed_bridge_used"):
            return
        try:
            from bot.services.delivery import bridge_sent_today

            async with self.db.session() as session:
                used = await bridge_sent_today(session=session, settings=self.settings)
            self.limiter.seed_bridge_used(used)
        except Exception:
            logger.exception("outbox worker: could not read today's bridge count")

    async def claim(self, limit: int | None = None) -> list[OutboxMessage]:
        """Lease up to ``limit`` due rows to this worker, urgent first."""
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
                .limit(limit or cfg.batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.scalars(query)).all())
            if rows:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([r.id for r in rows]))
                    .values(claimed_until=now + timedelta(seconds=cfg.lease_s), claimed_by=self.worker_id)
                )
                for r in rows:
                    r.claimed_by = self.worker_id
            keys = {r.group_id for r in rows if r.group_id}
            if keys:
                found = await session.execute(
                    select(Group.group_id, Group.channel, Group.robot_key).where(Group.group_id.in_(keys))
                )
                for gid, channel, robot_key in found.all():
                    self._groups[gid] = (channel, robot_key)
        return rows

    async def drain_once(self) -> int:
        """Claim one batch and deliver all of it (tests and one-shot tools)."""
        rows = await self.claim()
        if not rows:
            return 0
        sem = asyncio.Semaphore(self.settings.outbox.concurrency)

        async def one(row: OutboxMessage) -> None:
            async with sem:
                await self._deliver_safely(row)

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
            robot_key=self._groups.get(row.group_id or "", ("", None))[1],
            priority=row.priority,
            created_at=row.created_at,
            attempts=row.attempts,
        )

    def _rerouted(self, item: Outbound) -> Outbound:
        """A reply whose response_url cannot be used, sent to the group through the group's channel."""
        from bot.services.outbox import resolve_channel

        channel = self._groups.get(item.group_id or "", (item.channel, None))[0] or item.channel
        return replace(
            item,
            channel=resolve_channel(self.settings, channel),
            target_kind="group",
            target=item.group_id or item.target,
            reply_url=None,
        )

    async def _deliver_safely(self, row: OutboxMessage) -> None:
        try:
            await self.deliver(row)
        except Exception:
            logger.exception("outbox row %s: delivery bookkeeping failed (the lease will release it)", row.id)

    async def _send(self, item: Outbound) -> None:
        adapter = self.adapters.get(item.channel)
        if adapter is None:
            raise SendError(f"channel {item.channel!r} is not configured", retryable=False)
        if self.limiter is not None:
            await self.limiter.acquire(item)
        try:
            await adapter.send(item)
        except SendError as exc:
            if exc.retry_after and self.limiter is not None and hasattr(self.limiter, "backoff"):
                self.limiter.backoff(item, exc.retry_after)
            raise

    async def deliver(self, row: OutboxMessage) -> None:
        """Send one claimed row and record the outcome."""
        from bot.channels.ratelimit import Deferred

        item = self.to_outbound(row)
        error: SendError | None = None
        try:
            if item.target_kind == "reply":
                age = (utcnow() - item.created_at).total_seconds() if item.created_at else 0.0
                if item.reply_url and item.attempts == 0 and age < self.RESPONSE_URL_TTL_S:
                    try:
                        await self._send(item)
                        await self.record(row.id, None)
                        return
                    except SendError as exc:
                        if exc.ambiguous:
                            raise
                        logger.info(
                            "row %s: response_url failed (%s); using the group's channel", row.id, exc.reason
                        )
                item = self._rerouted(item)
            await self._send(item)
        except Deferred as exc:
            await self.record(row.id, None, defer_s=exc.delay)
            return
        except SendError as exc:
            error = exc
        except Exception as exc:  # an adapter bug must not kill the worker; retry later
            logger.exception("adapter %s raised on row %s", item.channel, item.id)
            error = SendError(f"{type(exc).__name__}: {exc}", retryable=True)
        await self.record(row.id, error)

    async def record(self, row_id: int, error: SendError | None, *, defer_s: float | None = None) -> None:
        """Queue the outcome of one row for the next group commit and wait until it is written."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row_id, error, defer_s, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                outcomes = await self._apply(batch)
            except Exception as exc:
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for *_, future in batch:
                if not future.done():
                    future.set_result(None)
            for row_id, outcome, reason in outcomes:
                if self.metrics is not None:
                    self.metrics.outbox_result(channel="", outcome=outcome)
                if outcome == "failed":
                    logger.warning("outbox row %s failed for good: %s", row_id, reason)

    async def _apply(
        self, batch: list[tuple[int, SendError | None, float | None, asyncio.Future[None]]]
    ) -> list[tuple[int, str, str]]:
        cfg = self.settings.outbox
        now = utcnow()
        outcomes: list[tuple[int, str, str]] = []
        async with self.db.unit_of_work() as session:
            ids = [b[0] for b in batch]
            rows = {
                r.id: r
                for r in (await session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))))
            }
            for row_id, error, defer_s, _ in batch:
                row = rows.get(row_id)
                if (
                    row is None
                    or row.status != OutboxStatus.PENDING.value
                    or row.claimed_by != self.worker_id
                ):
                    continue  # cancelled meanwhile, or our lease was lost and another worker owns it
                row.claimed_until = None
                if defer_s is not None:
                    row.claimed_by = None
                    row.next_attempt_at = now + timedelta(seconds=defer_s)
                    outcomes.append((row_id, "deferred", ""))
                    continue
                row.attempts += 1
                if error is None:
                    row.status = OutboxStatus.SENT.value
                    row.sent_at = now
                    row.last_error = None
                    self.sent += 1
                    outcomes.append((row_id, "sent", ""))
                    continue
                row.last_error = error.reason[:1000]
                row.ambiguous = row.ambiguous or error.ambiguous
                if not error.retryable:
                    row.status = OutboxStatus.FAILED.value
                    outcomes.append((row_id, "failed", error.reason))
                elif row.attempts >= cfg.max_attempts:
                    row.status = (OutboxStatus.AMBIGUOUS if row.ambiguous else OutboxStatus.FAILED).value
                    outcomes.append((row_id, "failed", error.reason))
                else:
                    delay = backoff_seconds(row.attempts, cfg.backoff_base_s, cfg.backoff_max_s)
                    if error.retry_after is not None:
                        delay = max(delay, error.retry_after)
                    row.next_attempt_at = now + timedelta(seconds=delay)
                    outcomes.append((row_id, "retry", error.reason))
        return outcomes
