"""Ticket services: open a ticket or merge a repeat report into an open one, record events, count.

Merge (FixMyStreet's duplicate detection, kept simple): a report joins an open ticket of the same
group (or building), category and subtype, opened within ``merge.window_minutes``, whose text is
similar enough (cosine of character-bigram sets on normalised text ≥ ``merge.threshold``). Disputes never
merge across flats: the flat number (302室, 3-302, 3单元302) is extracted into ``Ticket.flat``.
The state machine and routing live in ``bot.services.workflow``.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.classifier import normalize
from bot.messages import IncomingMessage
from bot.settings import Settings
from models.base import utcnow
from models.registry import Group
from models.ticket import OPEN_STATUSES, Ticket, TicketEvent, TicketReporter, TicketStatus

logger = logging.getLogger(__name__)


class MergeConfig(BaseModel):
    """The ``merge:`` section: when a repeat report joins an open ticket."""

    enabled: bool = True
    window_minutes: float = Field(default=120, gt=0)
    threshold: float = Field(default=0.3, gt=0, le=1)
    same_building: bool = True  # also merge across groups of the same building
    max_candidates: int = Field(default=20, gt=0)


def merge_config(settings: Settings) -> MergeConfig:
    """The merge settings: ``routing.merge`` in config.yaml (or a top-level ``merge`` section, once
    Settings declares one)."""
    section = getattr(settings, "merge", None) or (settings.routing or {}).get("merge") or {}
    return MergeConfig.model_validate(section)


_STRIP = re.compile(r"[\s,.!?~:;\"'()\[\]{}<>，。！？、：；“”‘’（）【】《》…\-]+")
_LONG_NUMBER = re.compile(r"\d{7,}")  # phone and ID numbers say nothing about the problem
_STOP = re.compile(r"[了的啊吗呢吧呀哦哈嘛又很都也还就是在有我你他她们这那个谁]")
_FLAT_PATTERNS = (
    re.compile(r"(?<!\d)(\d{1,2})单元(\d{3,4})(?!\d)"),
    re.compile(r"(?<!\d)(\d{1,2})-(\d{3,4})(?!\d)"),
    re.compile(r"(?<!\d)()(\d{3,4})(?:室|房|号房|户)"),
    re.compile(r"(?:楼上|楼下|隔壁|对门|对面)(?:的)?()(\d{3,4})(?!\d)"),
    re.compile(r"栋()(\d{3,4})(?!\d)"),
    # a bare room-like number (floor + room 01-30), not an amount, a year or an emergency number
    re.compile(
        r"(?<![\d.])()([1-9]\d?(?:0[1-9]|[12]\d|30))(?![\d.])"
        r"(?!\s*(?:元|块|米|斤|年|月|日|号楼|栋|路|次|分|秒|天|个|人|平|克|度|%|万|千|百|kg|km|w))"
    ),
)
_NOT_FLATS = frozenset({"110", "119", "120", "122"})


def extract_flat(text: str) -> str | None:
    """The flat a message is about: ``"3-302"`` (unit-room) or ``"302"``, else None."""
    norm = normalize(text).replace("－", "-").replace("—", "-")
    for pattern in _FLAT_PATTERNS:
        match = pattern.search(norm)
        if match and match.group(2) not in _NOT_FLATS:
            unit, room = match.group(1), match.group(2)
            return f"{unit}-{room}" if unit else room
    return None


def same_flat(a: str | None, b: str | None) -> bool:
    """Whether two extracted flats can be the same one (units compared only when both have one)."""
    if a is None or b is None:
        return a is None and b is None
    unit_a, _, room_a = a.rpartition("-")
    unit_b, _, room_b = b.rpartition("-")
    return room_a == room_b and (not unit_a or not unit_b or unit_a == unit_b)


def bigrams(text: str) -> set[str]:
    """Character bigrams of the normalised text, without punctuation and particles (了, 的, 啊...)."""
    norm = _STOP.sub("", _STRIP.sub("", _LONG_NUMBER.sub("", normalize(text))))
    if len(norm) < 2:
        return {norm} if norm else set()
    return {norm[i : i + 2] for i in range(len(norm) - 1)}


def similarity(a: str, b: str) -> float:
    """Cosine similarity of two messages' character-bigram sets after normalisation (0..1)."""
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / math.sqrt(len(x) * len(y))


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
    at: datetime | None = None,
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
        at=at or utcnow(),
    )
    session.add(event)
    return event


async def open_ticket(
    *, session: AsyncSession, msg: IncomingMessage, verdict: Any, group: Group | None
) -> Ticket:
    """Open a new ticket for a classified report and log the 受理 event (no routing here)."""
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
        flat=extract_flat(msg.text),
        confidence=float(verdict.confidence),
        matched=list(verdict.matched),
        source_inbox_id=msg.inbox_id,
        reply_url=msg.reply_url,
        private_report=msg.group_id is None,
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


async def find_duplicate(
    *,
    session: AsyncSession,
    settings: Settings,
    text: str,
    category: str,
    subtype: str | None,
    group: Group | None,
    now: datetime,
) -> tuple[Ticket, float] | None:
    """The open ticket a report repeats, with its similarity, or None."""
    config = merge_config(settings)
    if not config.enabled or group is None:
        return None
    place = Ticket.group_id == group.group_id
    if config.same_building and group.building_id is not None:
        place = or_(place, Ticket.building_id == group.building_id)
    query = (
        select(Ticket)
        .where(
            Ticket.status.in_([s.value for s in OPEN_STATUSES]),
            Ticket.category == category,
            Ticket.created_at >= now - timedelta(minutes=config.window_minutes),
            place,
        )
        .order_by(Ticket.created_at.desc())
        .limit(config.max_candidates)
    )
    query = query.where(Ticket.subtype == subtype) if subtype else query.where(Ticket.subtype.is_(None))
    flat = extract_flat(text)
    best: tuple[Ticket, float] | None = None
    for candidate in (await session.scalars(query)).all():
        if category == "dispute" and not same_flat(flat, candidate.flat):
            continue
        score = similarity(text, candidate.text)
        if score >= config.threshold and (best is None or score > best[1]):
            best = (candidate, score)
    return best


async def open_or_merge(
    *, session: AsyncSession, settings: Settings, msg: IncomingMessage, verdict: Any, group: Group | None
) -> tuple[Ticket, bool]:
    """Merge a report into the open ticket it repeats, or open (and route) a new ticket.

    Returns:
        The ticket, and whether the report was merged into an existing one.
    """
    from bot.services import routing

    now = utcnow()
    category, subtype = str(verdict.category), (str(verdict.subtype) if verdict.subtype else None)
    found = await find_duplicate(
        session=session,
        settings=settings,
        text=msg.text,
        category=category,
        subtype=subtype,
        group=group,
        now=now,
    )
    if found is None:
        ticket = await open_ticket(session=session, msg=msg, verdict=verdict, group=group)
        await routing.dispatch(session=session, settings=settings, ticket=ticket, now=now)
        return ticket, False
    ticket, score = found
    session.add(
        TicketReporter(
            ticket_number=ticket.number,
            reporter_id=msg.sender_id,
            group_id=msg.group_id,
            inbox_id=msg.inbox_id,
            text=msg.text,
            at=now,
        )
    )
    ticket.report_count = (ticket.report_count or 1) + 1
    ticket.updated_at = now
    add_event(
        session=session,
        ticket=ticket,
        actor_id=msg.sender_id,
        action="merge_report",
        data={"similarity": round(score, 3), "group_id": msg.group_id, "count": ticket.report_count},
        at=now,
    )
    if verdict.urgent and not ticket.urgent:
        ticket.urgent = True
        add_event(session=session, ticket=ticket, actor_id=msg.sender_id, action="upgrade_urgent", at=now)
        if ticket.status in (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.RETURNED):
            await routing.dispatch(session=session, settings=settings, ticket=ticket, now=now)
    logger.info("report merged into ticket #%s (similarity %.2f)", ticket.number, score)
    return ticket, True


async def counts(*, session: AsyncSession) -> dict[str, dict[str, int]]:
    """Ticket totals by category and by status."""
    by_category = await session.execute(select(Ticket.category, func.count()).group_by(Ticket.category))
    by_status = await session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    return {
        "by_category": {k: int(v) for k, v in by_category.all()},
        "by_status": {k: int(v) for k, v in by_status.all()},
    }
