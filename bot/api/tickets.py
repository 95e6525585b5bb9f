"""``/api/tickets``: list and detail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.api.deps import AnyUser, Principal, SessionDep
from models.auth import TokenRole
from models.ticket import Ticket, TicketEventRead, TicketRead, TicketStatus

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


class TicketPage(BaseModel):
    items: list[TicketRead]
    total: int
    limit: int
    offset: int


class TicketDetail(TicketRead):
    events: list[TicketEventRead]


def scoped(query: Any, principal: Principal) -> Any:
    """Grid members see their own grid's tickets only."""
    if principal.role == TokenRole.GRID_MEMBER:
        return query.where(Ticket.grid_id == principal.grid_id)
    return query


@router.get("", response_model=TicketPage)
async def list_tickets(
    session: SessionDep,
    principal: AnyUser,
    status: Annotated[TicketStatus | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    group_id: Annotated[str | None, Query(max_length=128)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 with an offset")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TicketPage:
    """Tickets, urgent first then newest, with filters and pagination."""
    query = scoped(select(Ticket), principal)
    if status is not None:
        query = query.where(Ticket.status == status.value)
    if category:
        query = query.where(Ticket.category == category)
    if group_id:
        query = query.where(Ticket.group_id == group_id)
    if since is not None:
        if since.tzinfo is None:
            raise HTTPException(422, detail={"code": "naive_datetime", "message": "since needs a UTC offset"})
        query = query.where(Ticket.created_at >= since)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Ticket.urgent.desc(), Ticket.number.desc()).limit(limit).offset(offset)
    )
    items = [TicketRead.model_validate(t) for t in rows.all()]
    return TicketPage(items=items, total=int(total or 0), limit=limit, offset=offset)


@router.get("/{number}", response_model=TicketDetail)
async def get_ticket(number: int, session: SessionDep, principal: AnyUser) -> TicketDetail:
    """One ticket with its event timeline."""
    query = scoped(select(Ticket).where(Ticket.number == number), principal).options(
        selectinload(Ticket.events)
    )
    ticket = await session.scalar(query)
    if ticket is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"no ticket #{number}"})
    data = TicketRead.model_validate(ticket).model_dump()
    return TicketDetail(**data, events=[TicketEventRead.model_validate(e) for e in ticket.events])
