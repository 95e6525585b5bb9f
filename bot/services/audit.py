"""The audit service: one row per admin action, written in the caller's unit of work.

Every mutating API route and console action calls :func:`record` (routes use ``bot.api.audit.audit``,
which fills in the principal and the client address), so a change and its audit row commit together.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.audit import AuditLog
from models.base import utcnow

logger = logging.getLogger(__name__)

_MAX_SNAPSHOT = 8000  # characters of JSON kept per before/after snapshot


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy (datetimes as ISO strings), truncated when huge."""
    if value is None:
        return None
    text = json.dumps(
        value, ensure_ascii=False, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)
    )
    if len(text) > _MAX_SNAPSHOT:
        return {"truncated": True, "preview": text[:_MAX_SNAPSHOT]}
    loaded: Any = json.loads(text)
    return loaded if isinstance(loaded, dict) else {"value": loaded}


def record(
    *,
    session: AsyncSession,
    actor: str,
    role: str,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
    ip: str | None = None,
    via: str = "api",
) -> AuditLog:
    """Add one audit row (the caller's unit of work commits it with the change)."""
    row = AuditLog(
        actor=actor[:128],
        role=role,
        action=action[:64],
        target=target[:200],
        before=_jsonable(before),
        after=_jsonable(after),
        ip=(ip or None) and ip[:64],
        via=via,
        at=utcnow(),
    )
    session.add(row)
    logger.info("audit: %s (%s) %s %s via %s", actor, role, action, target, via)
    return row


async def page(
    *,
    session: AsyncSession,
    limit: int = 50,
    offset: int = 0,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
) -> tuple[list[AuditLog], int]:
    """Audit rows, newest first, with optional exact filters, and the total count."""
    query = select(AuditLog)
    if actor:
        query = query.where(AuditLog.actor == actor)
    if action:
        query = query.where(AuditLog.action == action)
    if target:
        query = query.where(AuditLog.target == target)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(AuditLog.id.desc()).limit(limit).offset(offset))
    return list(rows.all()), int(total or 0)
