"""Inhibitions (抑制): declared outages and planned work keep matching reports from becoming tickets.

A report matches an inhibition in force when its group lies in the inhibition's scope, its category is
one of the inhibition's categories (any, when none are given), and its text has one of the keywords
(the kind's defaults when none are given). Urgent reports are never inhibited: a gas smell during
燃气检修 is still an emergency. Each suppressed report is logged as an ``InhibitionHit``; the notice is
repeated in a group at most once per ``QUIET_MINUTES`` so that 30 residents asking "怎么停水了" get
one answer, not 30.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.classifier import normalize
from bot.messages import IncomingMessage
from bot.redact import redact
from models.base import to_local, utcnow
from models.inhibition import Inhibition, InhibitionHit, InhibitionKind, ScopeKind
from models.registry import Group

logger = logging.getLogger(__name__)

QUIET_MINUTES = 10

DEFAULT_KEYWORDS: dict[str, tuple[str, ...]] = {
    InhibitionKind.WATER: ("停水", "没水", "没有水", "断水", "水压", "自来水", "水龙头", "不出水", "来水"),
    InhibitionKind.POWER: ("停电", "没电", "没有电", "断电", "跳闸", "电闸", "来电"),
    InhibitionKind.ELEVATOR: ("电梯",),
    InhibitionKind.GAS: ("燃气", "煤气", "天然气", "打不着火", "没气", "没有气", "灶"),
}


def keywords_of(inhibition: Inhibition) -> tuple[str, ...]:
    """The inhibition's own keywords, else its kind's defaults (``other`` has none)."""
    given = tuple(k for k in (inhibition.keywords or []) if k.strip())
    return given or DEFAULT_KEYWORDS.get(inhibition.kind, ())


def in_scope(inhibition: Inhibition, group: Group | None) -> bool:
    """Whether a group lies in an inhibition's scope (reports without a group match only ``all``)."""
    if inhibition.scope_kind == ScopeKind.ALL:
        return True
    if group is None:
        return False
    ids = {str(i) for i in inhibition.scope_ids or []}
    if inhibition.scope_kind == ScopeKind.GROUPS:
        return group.group_id in ids
    if inhibition.scope_kind == ScopeKind.BUILDINGS:
        return group.building_id is not None and str(group.building_id) in ids
    if inhibition.scope_kind == ScopeKind.GRIDS:
        building = group.building
        return building is not None and str(building.grid_id) in ids
    return False


def matches(inhibition: Inhibition, *, text: str, category: str) -> bool:
    """Whether a report's text and category fall under an inhibition (scope aside)."""
    if inhibition.categories and category not in inhibition.categories:
        return False
    words = keywords_of(inhibition)
    if not words:
        return bool(inhibition.categories)  # "other" with categories only: the category decides
    norm = normalize(text)
    return any(normalize(w) in norm for w in words)


async def active(*, session: AsyncSession, now: datetime | None = None) -> list[Inhibition]:
    """Inhibitions in force at ``now``, newest first."""
    now = now or utcnow()
    rows = await session.scalars(
        select(Inhibition)
        .where(Inhibition.starts_at <= now, Inhibition.ends_at > now, Inhibition.cancelled_at.is_(None))
        .order_by(Inhibition.id.desc())
    )
    return list(rows.all())


async def find(
    *,
    session: AsyncSession,
    group: Group | None,
    text: str,
    category: str,
    urgent: bool,
    now: datetime | None = None,
) -> Inhibition | None:
    """The inhibition that covers this report, or None (always None for urgent reports)."""
    if urgent:
        return None
    for inhibition in await active(session=session, now=now):
        if in_scope(inhibition, group) and matches(inhibition, text=text, category=category):
            return inhibition
    return None


async def record_hit(
    *,
    session: AsyncSession,
    inhibition: Inhibition,
    msg: IncomingMessage,
    category: str,
    now: datetime | None = None,
) -> bool:
    """Log a suppressed report. Returns whether the group should get the notice (not repeated within
    ``QUIET_MINUTES`` in the same place)."""
    now = now or utcnow()
    recent = await session.scalar(
        select(func.count())
        .select_from(InhibitionHit)
        .where(
            InhibitionHit.inhibition_id == inhibition.id,
            InhibitionHit.group_id.is_(None)
            if msg.group_id is None
            else InhibitionHit.group_id == msg.group_id,
            InhibitionHit.at >= now - timedelta(minutes=QUIET_MINUTES),
        )
    )
    session.add(
        InhibitionHit(
            inhibition_id=inhibition.id,
            group_id=msg.group_id,
            reporter_id=msg.sender_id,
            inbox_id=msg.inbox_id,
            category=category,
            text=redact(msg.text),
            at=now,
        )
    )
    inhibition.hits = (inhibition.hits or 0) + 1
    logger.info("report in %s suppressed by inhibition %s (%s)", msg.group_id, inhibition.id, inhibition.kind)
    return msg.group_id is None or not recent


def notice_text(inhibition: Inhibition) -> str:
    """The answer a suppressed report gets."""
    end = to_local(inhibition.ends_at).strftime("%m-%d %H:%M")
    return f"【{inhibition.kind if inhibition.kind != 'other' else '通知'}】{inhibition.notice}（预计 {end} 结束，无需重复报修）"
