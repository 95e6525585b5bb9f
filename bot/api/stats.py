"""``/api/stats``: the queue and ticket figures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bot.api.deps import AnyUser, SessionDep
from bot.services import inbox, ticket

router = APIRouter(prefix="/api/stats", tags=["stats"])


@router.get("")
async def stats(session: SessionDep, principal: AnyUser) -> dict[str, Any]:
    """Messages received/processed, inbox backlog, unknown-group messages, tickets by category and status."""
    by_status = await inbox.counts(session=session)
    tickets = await ticket.counts(session=session)
    return {
        "messages_received": sum(by_status.values()),
        "messages_processed": by_status.get("done", 0),
        "messages_failed": by_status.get("failed", 0),
        "inbox_pending": by_status.get("pending", 0),
        "unknown_group_messages": by_status.get("held", 0),
        "tickets_total": sum(tickets["by_category"].values()),
        "tickets_by_category": tickets["by_category"],
        "tickets_by_status": tickets["by_status"],
    }
