"""Tickets: the list (filters, search, urgent first) and the detail page with its timeline and actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from bot.api import ticket_actions
from bot.api import tickets as ticket_api
from bot.api.audit import audit
from bot.api.deps import SessionDep
from bot.console.web import ActionUser, PageUser, back, error_message, render
from bot.services.auth import console_config
from models.auth import TokenRole
from models.registry import Grid

router = APIRouter()

ACTIONS = {
    "accept": "接单",
    "progress": "进展",
    "resolve": "办结",
    "return": "退回",
    "reassign": "转派",
    "merge": "合并",
    "close": "归档",
    "reopen": "重办",
}


@router.get("/tickets", response_class=HTMLResponse)
async def ticket_list(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=16)] = "open",
    category: Annotated[str, Query(max_length=16)] = "",
    urgent: Annotated[str, Query(max_length=5)] = "",
    grid_id: Annotated[str, Query(max_length=12)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Tickets with filters; urgent open ones on top."""
    size = console_config(request.app.state.settings).page_size
    grid = int(grid_id) if grid_id.isdigit() and len(grid_id) < 10 else None
    query = ticket_api.search_query(
        principal,
        status=status if status not in ("", "open", "all") else None,
        open_only=status == "open",
        category=category or None,
        urgent=True if urgent == "1" else None,
        grid_id=grid,
        q=q or None,
    )
    rows, total = await ticket_api.page(session, query, limit=size, offset=(page - 1) * size)
    grids = (await session.scalars(select(Grid).order_by(Grid.id))).all()
    if principal.role == TokenRole.GRID_MEMBER:
        grids = [g for g in grids if g.id == principal.grid_id]
    return render(
        request,
        "tickets.html",
        tickets=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // size)),
        filters={"q": q, "status": status, "category": category, "urgent": urgent, "grid_id": grid_id},
        grids=grids,
    )


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket_page(number: int, request: Request, session: SessionDep, principal: PageUser) -> Response:
    """One ticket: text, routing, SLA, reporters, timeline, and (for staff) the action buttons."""
    if not 1 <= number <= 2_147_483_647:
        raise HTTPException(404, detail={"code": "not_found", "message": "no such ticket"})
    ticket = await ticket_api.load(session, number, principal)
    detail = await ticket_api.detail(session, ticket, principal)
    workflow = ticket_actions.workflow()
    allowed = {a for a, (sources, _) in workflow.TRANSITIONS.items() if ticket.status in sources}
    names = {"open": "受理", "recategorise": "改分类", **workflow.ACTION_NAMES}
    return render(request, "ticket.html", t=detail, actions=ACTIONS, allowed=allowed, event_names=names)


@router.post("/tickets/{number}/act")
async def ticket_act(
    number: int,
    request: Request,
    session: SessionDep,
    principal: ActionUser,
    action: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=2000)] = "",
    target: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """A workflow action from the console; the same service and audit as the API."""
    url = f"/console/tickets/{number}"
    if not 1 <= number <= 2_147_483_647:
        raise HTTPException(404, detail={"code": "not_found", "message": "no such ticket"})
    ticket = await ticket_api.load(session, number, principal)
    before = {"status": ticket.status, "assignee_id": ticket.assignee_id}
    try:
        await ticket_actions.act(
            session=session,
            settings=request.app.state.settings,
            principal=principal,
            number=number,
            action=action,
            note=note or None,
            target=target or None,
        )
    except HTTPException as exc:
        return back(url, err=error_message(exc))
    ticket = await ticket_api.load(session, number, principal)
    audit(
        request,
        session,
        principal,
        action=f"ticket.{ticket_actions.ACTION_ALIASES.get(action, action)}",
        target=f"ticket:{number}",
        before=before,
        after={"status": ticket.status, "assignee_id": ticket.assignee_id, "note": note, "target": target},
    )
    await session.commit()
    return back(url, msg=f"已{ACTIONS.get(action, action)}工单 #{number}")


@router.post("/tickets/{number}/recategorise")
async def ticket_recategorise(
    number: int,
    request: Request,
    session: SessionDep,
    principal: ActionUser,
    category: Annotated[str, Form(max_length=16)],
    subtype: Annotated[str, Form(max_length=16)] = "",
    urgent: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Correct the category (feeds the classifier's corrections), audited."""
    url = f"/console/tickets/{number}"
    if not 1 <= number <= 2_147_483_647:
        raise HTTPException(404, detail={"code": "not_found", "message": "no such ticket"})
    ticket = await ticket_api.load(session, number, principal)
    before = {"category": ticket.category, "subtype": ticket.subtype, "urgent": ticket.urgent}
    try:
        await ticket_actions.recategorise_ticket(
            session=session,
            settings=request.app.state.settings,
            principal=principal,
            number=number,
            category=category,
            subtype=subtype if category == "service" else None,
            urgent=urgent == "1",
            note=None,
        )
    except HTTPException as exc:
        return back(url, err=error_message(exc))
    ticket = await ticket_api.load(session, number, principal)
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
    return back(url, msg=f"已更正工单 #{number} 的类别")
