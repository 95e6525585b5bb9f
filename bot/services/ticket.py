"""Ticket services: open (or merge), record events. The full workflow builds on these."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import IncomingMessage
from models.base import utcnow
from models.registry import Group
from models.ticket import Ticket, TicketEvent, TicketReporter, TicketStatus

logger = logging.getLogger(__name__)


def add_event(
    *,
    session: AsyncSession,
    ticket: Ticket,
    actor_id: str,
    action: str,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> TicketEvent:
    """Append one event row (append-only; never updated)."""
    event = TicketEvent(
        ticket_number=ticket.number,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data or {},
        at=utcnow(),
    )
    session.add(event)
    return event


async def open_ticket(
    *, session: AsyncSession, msg: IncomingMessage, verdict: Any, group: Group | None
) -> Ticket:
    """Open a new ticket for a classified report and log the 受理 event."""
    building = group.building if group is not None else None
    ticket = Ticket(
        category=str(verdict.category),
        subtype=str(verdict.subtype) if verdict.subtype else None,
        urgent=bool(verdict.urgent),
        status=TicketStatus.NEW.value,
        group_id=group.group_id if group is not None else None,
        building_id=building.id if building is not None else None,
        grid_id=building.grid_id if building is not None else None,
        channel=msg.channel,
        reporter_id=msg.sender_id,
        reporter_name=msg.sender_name,
        text=msg.text,
        confidence=float(verdict.confidence),
        matched=list(verdict.matched),
        source_inbox_id=msg.inbox_id,
        reply_url=msg.reply_url,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(ticket)
    await session.flush()
    session.add(
        TicketReporter(
            ticket_number=ticket.number,
            reporter_id=msg.sender_id,
            group_id=msg.group_id,
            inbox_id=msg.inbox_id,
            text=msg.text,
            at=utcnow(),
        )
    )
    add_event(
        session=session,
        ticket=ticket,
        actor_id=msg.sender_id,
        action="open",
        to_status=TicketStatus.NEW.value,
        data={"confidence": ticket.confidence, "matched": ticket.matched},
    )
    return ticket


async def counts(*, session: AsyncSession) -> dict[str, dict[str, int]]:
    """Ticket totals by category and by status."""
    by_category = await session.execute(select(Ticket.category, func.count()).group_by(Ticket.category))
    by_status = await session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    return {
        "by_category": {k: int(v) for k, v in by_category.all()},
        "by_status": {k: int(v) for k, v in by_status.all()},
    }
