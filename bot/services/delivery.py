"""Delivery status: outbox depth per status and channel, and the bridge account's daily budget."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from models.base import utcnow
from models.outbox import OutboxMessage, OutboxStatus


def local_midnight(settings: Settings, now: datetime | None = None) -> datetime:
    """The start of today in the people's timezone, as an aware UTC-comparable datetime."""
    tz = ZoneInfo(settings.timezone)
    local = (now or utcnow()).astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def bridge_sent_today(*, session: AsyncSession, settings: Settings, now: datetime | None = None) -> int:
    """Bridge rows sent since local midnight (what the personal account has used of its daily budget)."""
    start = local_midnight(settings, now)
    count = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.channel == "bridge",
            OutboxMessage.status == OutboxStatus.SENT.value,
            OutboxMessage.sent_at >= start,
        )
    )
    return int(count or 0)


async def bridge_budget(
    *, session: AsyncSession, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """The bridge account's budget for today: ``daily_budget``, ``used_today``, ``remaining``, ``resets_at``."""
    used = await bridge_sent_today(session=session, settings=settings, now=now)
    budget = settings.bridge.daily_budget
    return {
        "daily_budget": budget,
        "used_today": used,
        "remaining": max(budget - used, 0),
        "min_interval_s": settings.bridge.min_interval_s,
        "jitter_s": settings.bridge.jitter_s,
        "resets_at": local_midnight(settings, now) + timedelta(days=1),
    }


async def outbox_status(*, session: AsyncSession) -> dict[str, Any]:
    """Outbox rows by status and by channel+status, and the oldest pending row's age in seconds."""
    rows = await session.execute(
        select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.channel, OutboxMessage.status
        )
    )
    by_status: dict[str, int] = {s.value: 0 for s in OutboxStatus}
    by_channel: dict[str, dict[str, int]] = {}
    for channel, status, count in rows.all():
        by_status[status] = by_status.get(status, 0) + int(count)
        by_channel.setdefault(channel, {})[status] = int(count)
    oldest = await session.scalar(
        select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == OutboxStatus.PENDING.value)
    )
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return {"by_status": by_status, "by_channel": by_channel, "oldest_pending_s": round(age, 1)}
