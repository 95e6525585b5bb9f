"""The durable inbox: accept (from webhooks), claim and finish (from the inbox worker)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import IncomingMessage
from bot.services.dialect import insert_ignore, is_postgres
from models.base import utcnow
from models.inbox import InboxMessage, InboxStatus

logger = logging.getLogger(__name__)


async def accept(
    *, session: AsyncSession, msg: IncomingMessage, raw: str | dict[str, Any], priority: int = 5
) -> bool:
    """Store one message unless (channel, msg_id) is already there. Returns whether it was new.

    The caller commits before acknowledging the platform.
    """
    raw_text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    return (await accept_many(session=session, items=[(msg, raw_text, priority)]))[0]


URGENT = 0
NORMAL = 5


def row_values(msg: IncomingMessage, raw: str, priority: int = NORMAL) -> dict[str, Any]:
    """The inbox row for one message (also what the ingest spool stores)."""
    return {
        "priority": priority,
        "channel": msg.channel,
        "msg_id": msg.msg_id,
        "group_id": msg.group_id,
        "group_name": msg.group_name,
        "sender_id": msg.sender_id,
        "sender_name": msg.sender_name,
        "text": msg.text,
        "mentions": list(msg.mentions),
        "reply_url": msg.reply_url,
        "raw": raw,
        "received_at": msg.received_at,
        "status": InboxStatus.PENDING.value,
        "attempts": 0,
    }


async def accept_many(*, session: AsyncSession, items: list[tuple[IncomingMessage, str, int]]) -> list[bool]:
    """Store (message, raw, priority) items in one statement (``ON CONFLICT DO NOTHING``); for each, whether it was new.

    A key repeated inside the batch is new only the first time. The caller commits before any ack.
    """
    if not items:
        return []
    inserted = await insert_rows(session=session, rows=[row_values(m, r, p) for m, r, p in items])
    created = []
    for msg, _, _ in items:
        key = (msg.channel, msg.msg_id)
        created.append(key in inserted)
        inserted.discard(key)
    return created


async def insert_rows(*, session: AsyncSession, rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Insert inbox rows (``row_values``), skipping keys already stored. Returns the (channel, msg_id) inserted."""
    if not rows:
        return set()
    table = InboxMessage.__table__
    stmt = insert_ignore(session, table).returning(table.c.channel, table.c.msg_id)
    # One parameter set per row ("insertmanyvalues"): the statement is compiled once and cached, and
    # SQLAlchemy renders the batch as multi-row VALUES pages. (A literal ``.values([...])`` list
    # compiled a new statement per batch: a fifth of a webhook's CPU in bench/ingest.py.)
    result = await session.execute(stmt, rows)
    return {(c, m) for c, m in result.all()}


async def claim(
    *, session: AsyncSession, worker_id: str, limit: int, lease_s: float
) -> list[tuple[int, int]]:
    """Lease up to ``limit`` pending rows to this worker; return (id, priority), urgent first, then oldest.

    A crashed worker's lease runs out and the rows become claimable again. On PostgreSQL, several
    workers share the queue through ``FOR UPDATE SKIP LOCKED``.
    """
    now = utcnow()
    query = (
        select(InboxMessage.id, InboxMessage.priority)
        .where(InboxMessage.status == InboxStatus.PENDING.value)
        .where(or_(InboxMessage.claimed_until.is_(None), InboxMessage.claimed_until < now))
        .order_by(InboxMessage.priority, InboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    rows = [(int(i), int(p)) for i, p in (await session.execute(query)).all()]
    if rows:
        await session.execute(
            update(InboxMessage)
            .where(InboxMessage.id.in_([i for i, _ in rows]))
            .values(claimed_until=now + timedelta(seconds=lease_s), attempts=InboxMessage.attempts + 1)
        )
    return rows


async def release(*, session: AsyncSession, ids: list[int]) -> None:
    """Give back claimed rows that were not processed (their lease ends now, the attempt is not counted)."""
    if ids:
        await session.execute(
            update(InboxMessage)
            .where(InboxMessage.id.in_(ids), InboxMessage.status == InboxStatus.PENDING.value)
            .values(claimed_until=None, attempts=InboxMessage.attempts - 1)
        )


def to_message(row: InboxMessage) -> IncomingMessage:
    """The typed message behind an inbox row."""
    return IncomingMessage(
        channel=row.channel,
        msg_id=row.msg_id,
        group_id=row.group_id,
        sender_id=row.sender_id,
        sender_name=row.sender_name,
        group_name=row.group_name,
        text=row.text,
        mentions=tuple(row.mentions or ()),
        received_at=row.received_at,
        inbox_id=row.id,
        reply_url=row.reply_url,
    )


def mark(
    row: InboxMessage, status: InboxStatus, *, error: str | None = None, at: datetime | None = None
) -> None:
    """Record the outcome of one dispatch on its row (the caller's transaction commits it)."""
    row.status = status.value
    row.claimed_until = None
    row.last_error = error
    if status is InboxStatus.DONE:
        row.processed_at = at or utcnow()


async def release_held(*, session: AsyncSession, group_id: str) -> int:
    """Put a newly adopted group's held messages back in the queue. Returns how many."""
    result = await session.execute(
        update(InboxMessage)
        .where(InboxMessage.group_id == group_id, InboxMessage.status == InboxStatus.HELD.value)
        .values(status=InboxStatus.PENDING.value, claimed_until=None, attempts=0)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def counts(*, session: AsyncSession) -> dict[str, int]:
    """How many inbox rows are in each status."""
    rows = await session.execute(select(InboxMessage.status, func.count()).group_by(InboxMessage.status))
    return {status: int(n) for status, n in rows.all()}
