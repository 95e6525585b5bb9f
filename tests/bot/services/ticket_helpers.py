"""Builders for ticket tests: messages, verdicts, and running a message through the real dispatcher."""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from bot.classifier import Category, ClassifierHolder, Subtype, Verdict
from bot.db import Database
from bot.messages import IncomingMessage
from bot.services import inbox
from bot.settings import Settings
from bot.workers import InboxWorker
from handlers import build_dispatcher
from models.base import utcnow
from models.inbox import InboxMessage
from models.outbox import OutboxMessage
from models.ticket import Ticket, TicketEvent

_ids = itertools.count(1)


def message(
    text: str, *, group: str | None = "g0@chatroom", sender: str = "r1", channel: str = "bridge"
) -> IncomingMessage:
    n = next(_ids)
    return IncomingMessage(
        channel=channel, msg_id=f"m{n}", group_id=group, sender_id=sender, text=text, received_at=utcnow()
    )


def verdict(category: str, subtype: str | None = None, urgent: bool = False) -> Verdict:
    return Verdict(Category(category), Subtype(subtype) if subtype else None, urgent, 0.9, ())


@lru_cache(maxsize=2)
def classifier_for(path: str) -> ClassifierHolder:
    return ClassifierHolder(path)


async def deliver(db: Database, settings: Settings, msg: IncomingMessage, classifier: Any = None) -> int:
    """Store ``msg`` in the inbox and process it exactly as the inbox worker does. Returns the inbox id."""
    async with db.unit_of_work() as session:
        await inbox.accept(session=session, msg=msg, raw={"text": msg.text})
    async with db.session() as session:
        row_id = await session.scalar(
            select(InboxMessage.id).where(
                InboxMessage.channel == msg.channel, InboxMessage.msg_id == msg.msg_id
            )
        )
    assert row_id is not None
    worker = InboxWorker(
        db=db,
        settings=settings,
        dispatcher=build_dispatcher(),
        classifier=classifier or classifier_for(str(settings.classifier_rules_path())),
    )
    await worker.process(row_id)
    return int(row_id)


async def replies(db: Database, target: str) -> list[str]:
    """Bodies sent to a group or a user, oldest first."""
    async with db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where((OutboxMessage.group_id == target) | (OutboxMessage.target == target))
            .order_by(OutboxMessage.id)
        )
        return [r.body for r in rows.all()]


async def ticket(db: Database, number: int) -> Ticket:
    async with db.session() as session:
        found = await session.get(Ticket, number)
        assert found is not None
        return found


async def actions(db: Database, number: int) -> list[str]:
    async with db.session() as session:
        rows = await session.scalars(
            select(TicketEvent.action).where(TicketEvent.ticket_number == number).order_by(TicketEvent.id)
        )
        return list(rows.all())
