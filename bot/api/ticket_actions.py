"""The bridge from API/console callers to the ticket workflow service (``bot.services.workflow``).

The principal (a token, or a console session made from one) becomes the workflow's ``Actor``, chat-style
action names (接单, 办结 ...) are accepted as aliases, and ``TicketError`` becomes a 4xx with the one error
shape: not_found 404, forbidden 403, illegal_transition 409, bad_request 422.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import Principal
from models.auth import TokenRole
from models.ticket import Ticket

ACTION_ALIASES = {
    "接单": "accept",
    "进展": "progress",
    "办结": "resolve",
    "退回": "return",
    "转派": "reassign",
    "合并": "merge",
    "归档": "close",
    "重办": "reopen",
}


def workflow() -> Any:
    """The workflow service module (``apply_action``, ``recategorise``, ``Actor``, ``TicketError``)."""
    from bot.services import workflow as module

    return module


async def build_actor(session: AsyncSession, principal: Principal) -> Any:
    """The workflow's Actor for an API/console caller: the token's person when it names one (with the
    token's role), else the token itself as an admin or grid member of its grid."""
    from models.registry import Person, Role

    role = {TokenRole.ADMIN: Role.ADMIN, TokenRole.GRID_MEMBER: Role.GRID_MEMBER}.get(
        principal.role, Role.RESIDENT
    )
    person = await session.get(Person, principal.person_id) if principal.person_id else None
    return workflow().Actor(
        person_id=principal.actor_id[:64],
        role=role,
        grid_id=principal.grid_id if principal.role == TokenRole.GRID_MEMBER else None,
        team=person.team if person is not None else None,
        user_ids=(principal.actor_id[:64],),
    )


def _ticket_error(exc: Exception) -> HTTPException:
    """TicketError codes: not_found 404, forbidden 403, illegal_transition 409, bad_request 422."""
    code = str(getattr(exc, "code", "illegal_transition"))
    message = str(getattr(exc, "message", exc))
    status = {"not_found": 404, "forbidden": 403, "bad_request": 422}.get(code, 409)
    return HTTPException(status, detail={"code": code, "message": message})


async def act(
    *,
    session: AsyncSession,
    settings: Any,
    principal: Principal,
    number: int,
    action: str,
    note: str | None,
    target: str | None,
) -> None:
    """Run one workflow action for an API/console caller; TicketError becomes a 4xx."""
    wf = workflow()
    action = ACTION_ALIASES.get(action.strip(), action.strip())
    if action in ("dispatch", "satisfied", "unsatisfied"):
        raise HTTPException(422, detail={"code": "bad_request", "message": f"{action} is not a staff action"})
    actor = await build_actor(session, principal)
    try:
        await wf.apply_action(
            session=session,
            settings=settings,
            number=number,
            action=action,
            actor=actor,
            note=note,
            target=target,
        )
    except wf.TicketError as exc:
        await session.rollback()
        raise _ticket_error(exc) from None


async def recategorise_ticket(
    *,
    session: AsyncSession,
    settings: Any,
    principal: Principal,
    number: int,
    category: str,
    subtype: str | None,
    urgent: bool | None,
    note: str | None,
) -> None:
    """Correct a ticket's category through the workflow service (which stores the correction)."""
    wf = workflow()
    actor = await build_actor(session, principal)
    ticket = await session.get(Ticket, number)
    keep_urgent = bool(ticket.urgent) if ticket is not None else False
    try:
        await wf.recategorise(
            session=session,
            settings=settings,
            number=number,
            actor=actor,
            category=category,
            subtype=subtype or None,
            urgent=keep_urgent if urgent is None else urgent,
        )
    except wf.TicketError as exc:
        await session.rollback()
        raise _ticket_error(exc) from None
