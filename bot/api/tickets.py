"""``/api/tickets``: list (filters and full-text search), detail with the timeline, transitions, recategorise.

Transitions (接单/进展/办结/退回/转派/合并/...) go through the workflow service
(``bot.services.ticket.apply_action``), the same code the chat commands use, so the API, the console and
the chat can never disagree on what is allowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.api import ticket_actions
from bot.api.audit import audit
from bot.api.deps import MAX_DB_INT, AnyUser, IdPath, Principal, SessionDep, SettingsDep, Staff
from bot.redact import redact
from models.auth import TokenRole
from models.ticket import Ticket, TicketEventRead, TicketRead, TicketReporter, TicketStatus

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


class TicketPage(BaseModel):
    items: list[TicketRead]
    total: int
    limit: int
    offset: int


class ReporterRead(BaseModel):
    reporter_id: str
    group_id: str | None
    text: str
    at: datetime


class TicketDetail(TicketRead):
    events: list[TicketEventRead]
    reporters: list[ReporterRead] = Field(default_factory=list)
    grid_id: int | None = None
    building_id: int | None = None
    matched: list[str] = Field(default_factory=list)
    confidence: float = 0.0


class TransitionIn(BaseModel):
    """One workflow action on a ticket."""

    action: Annotated[
        str,
        Field(
            max_length=32,
            description="accept | progress | resolve | return | reassign | merge | close | reopen "
            "(the chat commands 接单/进展/办结/退回/转派/合并 are accepted too)",
        ),
    ]
    note: Annotated[str | None, Field(max_length=2000)] = None
    target: Annotated[
        str | None,
        Field(
            max_length=128, description="reassign: a person_id or team code; merge: the ticket number to join"
        ),
    ] = None


class RecategoriseIn(BaseModel):
    category: Annotated[str, Field(max_length=16, description="dispute | hazard | security | service | none")]
    subtype: Annotated[str | None, Field(max_length=16)] = None
    urgent: bool | None = None
    note: Annotated[str | None, Field(max_length=2000)] = None


def scoped(query: Any, principal: Principal) -> Any:
    """Grid members see their own grid's tickets only."""
    if principal.role == TokenRole.GRID_MEMBER:
        return query.where(Ticket.grid_id == principal.grid_id)
    return query


def _view(ticket: Ticket, principal: Principal) -> TicketRead:
    item = TicketRead.model_validate(ticket)
    if principal.role == TokenRole.VIEWER:
        item.text = redact(item.text)
    return item


def search_query(
    principal: Principal,
    *,
    status: str | None = None,
    open_only: bool = False,
    category: str | None = None,
    subtype: str | None = None,
    urgent: bool | None = None,
    group_id: str | None = None,
    grid_id: int | None = None,
    building_id: int | None = None,
    assignee_id: str | None = None,
    since: datetime | None = None,
    q: str | None = None,
) -> Any:
    """The filtered, scoped ticket query (shared with the console)."""
    from models.ticket import OPEN_STATUSES

    query = scoped(select(Ticket), principal)
    if status:
        query = query.where(Ticket.status == status)
    if open_only:
        query = query.where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
    if category:
        query = query.where(Ticket.category == category)
    if subtype:
        query = query.where(Ticket.subtype == subtype)
    if urgent is not None:
        query = query.where(Ticket.urgent == urgent)
    if group_id:
        query = query.where(Ticket.group_id == group_id)
    if grid_id is not None:
        query = query.where(Ticket.grid_id == grid_id)
    if building_id is not None:
        query = query.where(Ticket.building_id == building_id)
    if assignee_id:
        query = query.where(Ticket.assignee_id == assignee_id)
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    if q and q.strip():
        term = q.strip()
        conditions = [
            Ticket.text.icontains(term, autoescape=True),
            Ticket.reporter_id.icontains(term, autoescape=True),
            Ticket.reporter_name.icontains(term, autoescape=True),
        ]
        digits = term.lstrip("#＃")
        if digits.isdigit() and len(digits) < 10:
            conditions.append(Ticket.number == int(digits))
        query = query.where(or_(*conditions))
    return query


async def page(session: AsyncSession, query: Any, *, limit: int, offset: int) -> tuple[list[Ticket], int]:
    """Urgent open tickets first, then newest first."""
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    from models.ticket import OPEN_STATUSES

    urgent_open = Ticket.urgent & Ticket.status.in_([s.value for s in OPEN_STATUSES])
    rows = await session.scalars(
        query.order_by(urgent_open.desc(), Ticket.number.desc()).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


@router.get("", response_model=TicketPage)
async def list_tickets(
    session: SessionDep,
    principal: AnyUser,
    status: Annotated[TicketStatus | None, Query()] = None,
    open_only: Annotated[bool, Query(alias="open", description="only tickets still being worked on")] = False,
    category: Annotated[str | None, Query(max_length=16)] = None,
    subtype: Annotated[str | None, Query(max_length=16)] = None,
    urgent: bool | None = None,
    group_id: Annotated[str | None, Query(max_length=128)] = None,
    grid_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    building_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    assignee_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 with an offset")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="full-text search in the text, reporter, or #number")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TicketPage:
    """Tickets, urgent open ones first then newest, with filters, search and pagination."""
    if since is not None and since.tzinfo is None:
        raise HTTPException(422, detail={"code": "naive_datetime", "message": "since needs a UTC offset"})
    query = search_query(
        principal,
        status=status.value if status else None,
        open_only=open_only,
        category=category,
        subtype=subtype,
        urgent=urgent,
        group_id=group_id,
        grid_id=grid_id,
        building_id=building_id,
        assignee_id=assignee_id,
        since=since,
        q=q,
    )
    rows, total = await page(session, query, limit=limit, offset=offset)
    return TicketPage(items=[_view(t, principal) for t in rows], total=total, limit=limit, offset=offset)


async def load(session: AsyncSession, number: int, principal: Principal) -> Ticket:
    """One ticket in the caller's scope with its events, or 404."""
    query = (
        scoped(select(Ticket).where(Ticket.number == number), principal)
        .options(selectinload(Ticket.events))
        .execution_options(populate_existing=True)
    )
    ticket = await session.scalar(query)
    if ticket is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"no ticket #{number}"})
    return ticket


async def detail(session: AsyncSession, ticket: Ticket, principal: Principal) -> TicketDetail:
    reporters = await session.scalars(
        select(TicketReporter)
        .where(TicketReporter.ticket_number == ticket.number)
        .order_by(TicketReporter.id)
    )
    base = _view(ticket, principal).model_dump()
    viewer = principal.role == TokenRole.VIEWER
    return TicketDetail(
        **base,
        events=[TicketEventRead.model_validate(e) for e in ticket.events],
        reporters=[
            ReporterRead(
                reporter_id=r.reporter_id,
                group_id=r.group_id,
                text=redact(r.text) if viewer else r.text,
                at=r.at,
            )
            for r in reporters.all()
        ],
        grid_id=ticket.grid_id,
        building_id=ticket.building_id,
        matched=list(ticket.matched or []),
        confidence=ticket.confidence,
    )


@router.get("/{number}", response_model=TicketDetail)
async def get_ticket(number: IdPath, session: SessionDep, principal: AnyUser) -> TicketDetail:
    """One ticket with its event timeline and every report that fed it."""
    ticket = await load(session, number, principal)
    return await detail(session, ticket, principal)


@router.post(
    "/{number}/transitions",
    response_model=TicketDetail,
    responses={409: {"description": "not allowed in the ticket's state"}},
)
async def transition(
    number: IdPath,
    body: TransitionIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Staff,
) -> TicketDetail:
    """Apply a workflow action (accept, progress, resolve, return, reassign, merge, ...), audited."""
    ticket = await load(session, number, principal)
    before = {"status": ticket.status, "assignee_id": ticket.assignee_id}
    await ticket_actions.act(
        session=session,
        settings=settings,
        principal=principal,
        number=number,
        action=body.action,
        note=body.note,
        target=body.target,
    )
    ticket = await load(session, number, principal)
    audit(
        request,
        session,
        principal,
        action=f"ticket.{ticket_actions.ACTION_ALIASES.get(body.action.strip(), body.action.strip())}",
        target=f"ticket:{number}",
        before=before,
        after={
            "status": ticket.status,
            "assignee_id": ticket.assignee_id,
            "note": body.note,
            "target": body.target,
        },
    )
    await session.commit()
    return await detail(session, await load(session, number, principal), principal)


@router.post("/{number}/recategorise", response_model=TicketDetail)
async def recategorise(
    number: IdPath,
    body: RecategoriseIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Staff,
) -> TicketDetail:
    """Correct a ticket's category (the correction feeds the classifier's labelled data), audited."""
    ticket = await load(session, number, principal)
    before = {"category": ticket.category, "subtype": ticket.subtype, "urgent": ticket.urgent}
    await ticket_actions.recategorise_ticket(
        session=session,
        settings=settings,
        principal=principal,
        number=number,
        category=body.category,
        subtype=body.subtype,
        urgent=body.urgent,
        note=body.note,
    )
    ticket = await load(session, number, principal)
    audit(
        request,
        session,
        principal,
        action="ticket.recategorise",
        target=f"ticket:{number}",
        before=before,
        after={"category": ticket.category, "subtype": ticket.subtype, "urgent": ticket.urgent},
    )
    await session.commit()
    return await detail(session, await load(session, number, principal), principal)
