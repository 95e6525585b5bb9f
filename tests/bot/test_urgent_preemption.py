"""An emergency that arrives while the inbox worker is working through a batch goes before the rest of it."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.classifier import ClassifierHolder
from bot.db import Database
from bot.messages import IncomingMessage
from bot.services import inbox
from bot.settings import Settings
from bot.webhooks.ingest import InboxWriter, IngestPressure
from bot.workers import InboxWorker
from handlers import build_dispatcher
from models.base import utcnow
from models.inbox import InboxMessage, InboxStatus


def message(msg_id: str, text: str) -> IncomingMessage:
    return IncomingMessage(
        channel="wecom", msg_id=msg_id, group_id=None, sender_id="someone", text=text, received_at=utcnow()
    )


async def test_an_urgent_row_preempts_the_rest_of_a_claimed_batch(db: Database, settings: Settings) -> None:
    pressure = IngestPressure(max_wait_s=0.05)
    pressure.enter()  # webhooks stay busy: every non-urgent dispatch waits its full 50 ms
    writer = InboxWriter(db, pressure=pressure)
    for i in range(12):
        await writer.submit(message(f"n{i}", "收到"), "{}", inbox.NORMAL)
    worker = InboxWorker(
        db=db,
        settings=settings,
        dispatcher=build_dispatcher(),
        classifier=ClassifierHolder(settings.classifier_rules_path()),
        pressure=pressure,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(20):
            while await done_count(db) < 2:
                await asyncio.sleep(0.01)
            await writer.submit(message("u1", "楼道里闻到很浓的煤气味"), "{}", inbox.URGENT)
            while await done_count(db) < 13:
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task
    async with db.session() as session:
        rows = (await session.scalars(select(InboxMessage).order_by(InboxMessage.processed_at))).all()
    order = [r.msg_id for r in rows]
    # Without preemption the emergency would wait for the ten normal rows left in the batch.
    assert order.index("u1") <= 4, order
    # The rows given back were not charged an attempt.
    assert all(r.attempts == 1 for r in rows), [(r.msg_id, r.attempts) for r in rows]
    assert {r.status for r in rows} == {InboxStatus.DONE.value}


async def done_count(db: Database) -> int:
    async with db.session() as session:
        return len(
            (await session.scalars(select(InboxMessage.id).where(InboxMessage.status == "done"))).all()
        )


async def test_calm_ends_at_once_when_an_emergency_arrives() -> None:
    pressure = IngestPressure(max_wait_s=5.0)
    pressure.enter()
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, pressure.urgent_arrived)
    started = loop.time()
    await pressure.calm()
    assert loop.time() - started < 1.0
    assert pressure.take_urgent() is True
    assert pressure.take_urgent() is False


async def test_acks_elsewhere_hold_dispatch_back_for_their_window_only() -> None:
    """The primary of several web processes hears of their acks through the spool mover."""
    pressure = IngestPressure(quiet_s=0.005, max_wait_s=5.0)
    assert not pressure.busy()
    pressure.acked_elsewhere(0.2)
    assert pressure.busy()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await pressure.calm()  # waits out the window, not max_wait_s
    assert 0.15 < loop.time() - started < 1.0
    assert not pressure.busy()
