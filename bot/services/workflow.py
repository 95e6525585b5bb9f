"""The ticket state machine (受理 → 分拨 → 签收 → 处置 → 办结 → 归档) and its public service API.

``TRANSITIONS`` is the whole machine as data: for each action, the states it may start from and the
state it leads to. ``apply_action`` checks who may act (``may``), refuses an illegal transition with a
``TicketError`` whose message is a short Chinese sentence fit for a chat reply, applies the change,
logs one ``TicketEvent`` and queues the notifications. Services never commit: the handler, job or
route that calls them owns the unit of work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import notify, routing
from bot.services.ticket import add_event
from bot.settings import Settings
from models.base import utcnow
from models.registry import Person, Role, Team
from models.ticket import OPEN_STATUSES, Ticket
from models.ticket import TicketStatus as S

logger = logging.getLogger(__name__)

_OPEN = frozenset(s.value for s in OPEN_STATUSES)

#: action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "dispatch": (frozenset({S.NEW, S.RETURNED, S.ASSIGNED}), S.ASSIGNED),
    "accept": (frozenset({S.ASSIGNED, S.REOPENED}), S.ACCEPTED),
    "progress": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.IN_PROGRESS),
    "resolve": (frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.RESOLVED),
    "return": (frozenset({S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS, S.REOPENED}), S.RETURNED),
    "reassign": (
        frozenset({S.NEW, S.ASSIGNED, S.ACCEPTED, S.IN_PROGRESS, S.RETURNED, S.REOPENED}),
        S.ASSIGNED,
    ),
    "close": (frozenset({S.RESOLVED}), S.CLOSED),
    "reopen": (frozenset({S.RESOLVED, S.CLOSED}), S.REOPENED),
    "satisfied": (frozenset({S.RESOLVED}), S.CLOSED),
    "unsatisfied": (frozenset({S.RESOLVED}), S.REOPENED),
    "merge": (_OPEN, S.MERGED),
    "mark_duplicate": (_OPEN, S.DUPLICATE),
}
ACTION_NAMES = {
    "dispatch": "分拨",
    "accept": "接单",
    "progress": "更新进展",
    "resolve": "办结",
    "return": "退回",
    "reassign": "转派",
    "close": "归档",
    "reopen": "重办",
    "satisfied": "评价满意",
    "unsatisfied": "评价不满意",
    "merge": "合并",
    "mark_duplicate": "标记重复",
}
GRID_STAFF = frozenset({Role.GRID_MEMBER, Role.GRID_LEADER})


@dataclass(frozen=True)
class Actor:
    """Who acts on a ticket. ``user_ids`` are the platform ids the person wrote from (to know a reporter)."""

    person_id: str
    role: Role
    grid_id: int | None = None
    team: str | None = None
    user_ids: tuple[str, ...] = ()

    @classmethod
    def from_person(cls, person: Person, *, user_id: str | None = None) -> Actor:
        """An actor for a registered person (``user_id``: the platform id the message came from)."""
        ids = tuple(dict.fromkeys(i for i in (person.person_id, user_id) if i))
        return cls(
            person_id=person.person_id,
            role=Role(person.role),
            grid_id=person.grid_id,
            team=person.team,
            user_ids=ids,
        )

    @classmethod
    def system(cls) -> Actor:
        return cls(person_id="system", role=Role.ADMIN)

    def is_reporter(self, ticket: Ticket) -> bool:
        return ticket.reporter_id == self.person_id or ticket.reporter_id in self.user_ids

    def is_grid_staff(self, ticket: Ticket) -> bool:
        """An admin, or a grid member/leader of the ticket's grid."""
        if self.role == Role.ADMIN:
            return True
        return self.role in GRID_STAFF and (ticket.grid_id is None or self.grid_id == ticket.grid_id)

    def is_handler(self, ticket: Ticket) -> bool:
        return self.person_id == ticket.assignee_id or self.person_id in (ticket.cc or [])


class TicketError(Exception):
    """A refused request. ``message`` is Chinese and fit for a chat reply.

    Codes: ``not_found``, ``forbidden``, ``illegal_transition``, ``bad_request``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def may(actor: Actor, ticket: Ticket, action: str) -> bool:
    """Whether ``actor`` may perform ``action`` on ``ticket`` (before looking at the state)."""
    if action in ("satisfied", "unsatisfied"):
        return actor.is_reporter(ticket)
    if actor.is_grid_staff(ticket):
        return True
    if action in ("accept", "progress", "resolve", "return", "reassign"):
        return actor.is_handler(ticket)
    return False


def _refusal(actor: Actor, ticket: Ticket, action: str) -> TicketError:
    verb = ACTION_NAMES.get(action, action)
    if action in ("satisfied", "unsatisfied"):
        return TicketError("forbidden", f"只有工单 #{ticket.number} 的反映人可以评价。")
    return TicketError(
        "forbidden", f"您不能{verb}工单 #{ticket.number}：只有处理人、本网格网格员/网格长或管理员可以操作。"
    )


def _illegal(ticket: Ticket, action: str) -> TicketError:
    state = notify.STATUS_NAMES.get(ticket.status, ticket.status)
    verb = ACTION_NAMES.get(action, action)
    hint = ""
    if action in ("progress", "resolve") and ticket.status in (S.ASSIGNED, S.REOPENED):
        hint = f"请先接单（接单 #{ticket.number}）。"
    elif action in ("satisfied", "unsatisfied") and ticket.status == S.CLOSED:
        hint = "如问题仍在，请重新反映。"
    return TicketError("illegal_transition", f"工单 #{ticket.number} 当前{state}，不能{verb}。{hint}")


async def get_ticket(*, session: AsyncSession, number: int) -> Ticket:
    """The ticket ``number`` (locked for update on PostgreSQL), or TicketError("not_found")."""
    ticket = await session.get(Ticket, number, with_for_update=True)
    if ticket is None:
        raise TicketError("not_found", f"没有找到工单 #{number}。")
    return ticket


async def resolve_target(*, session: AsyncSession, target: str) -> tuple[str, str | None]:
    """A reassignment target, by person id, person name, or team code/name → (person_id, team)."""
    text = target.strip().lstrip("@＠").strip()
    if not text:
        raise TicketError("bad_request", "请写明转派对象（人员或服务队）。")
    person = await session.get(Person, text)
    if person is not None and person.active:
        return person.person_id, None
    named = list(
        (await session.scalars(select(Person).where(Person.name == text, Person.active.is_(True)))).all()
    )
    if len(named) == 1:
        return named[0].person_id, None
    if len(named) > 1:
        raise TicketError("bad_request", f"有多位“{text}”，请用人员编号转派。")
    team_name = text.removesuffix("服务队").removesuffix("队")
    team = await session.scalar(
        select(Team).where(or_(Team.code == text, Team.name == text, Team.name == team_name))
    )
    if team is not None:
        lead = await routing.team_lead(session=session, team=team.code)
        if lead is None:
            raise TicketError("bad_request", f"{team.name}还没有队长，请转派给具体人员。")
        return lead, team.code
    raise TicketError("bad_request", f"找不到转派对象“{text}”。")


async def apply_action(
    *,
    session: AsyncSession,
    settings: Settings,
    number: int,
    action: str,
    actor: Actor,
    note: str | None = None,
    target: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Perform one workflow action on ticket ``number`` as ``actor``.

    Actions: accept, progress, resolve, return, reassign (``target`` = person id/name or team),
    close, reopen, satisfied, unsatisfied, merge (``target`` = the number to merge into),
    mark_duplicate (``target`` = the original's number).

    Raises:
        TicketError: not_found, forbidden, illegal_transition or bad_request, with a Chinese message.
    """
    if action not in TRANSITIONS or action == "dispatch":
        raise TicketError("bad_request", f"未知操作：{action}")
    now = now or utcnow()
    note = (note or "").strip() or None
    ticket = await get_ticket(session=session, number=number)
    if not may(actor, ticket, action):
        raise _refusal(actor, ticket, action)
    sources, to_status = TRANSITIONS[action]
    if ticket.status not in sources:
        raise _illegal(ticket, action)
    if action == "return" and not note:
        raise TicketError("bad_request", f"请写明退回原因，如：退回 #{number} 不属于本网格")
    if action == "progress" and not note:
        raise TicketError("bad_request", f"请写明进展，如：进展 #{number} 已联系物业")
    before = ticket.status
    data: dict[str, Any] = {}
    other: Ticket | None = None
    if action in ("merge", "mark_duplicate"):
        other = await _other_ticket(session, ticket, target)
        data["into"] = other.number
    if action == "reassign":
        person_id, team = await resolve_target(session=session, target=target or "")
        data.update({"from": ticket.assignee_id, "to": person_id, "team": team})
        ticket.assignee_id, ticket.assignee_team = person_id, team
        ticket.cc = [p for p in (ticket.cc or []) if p != person_id]
    ticket.status = str(to_status)
    ticket.updated_at = now
    if action == "accept":
        if ticket.assignee_id != actor.person_id:
            data["previous_assignee"] = ticket.assignee_id
            ticket.assignee_id = actor.person_id
        ticket.accepted_at = now
        routing.start_clock(settings=settings, ticket=ticket, now=now, accept=False)
    elif action == "resolve":
        ticket.resolved_at = now
        ticket.feedback_asked_at = now
        ticket.satisfied = None
    elif action in ("close", "satisfied"):
        ticket.closed_at = now
        if action == "satisfied":
            ticket.satisfied, ticket.feedback_note = True, note
    elif action in ("reopen", "unsatisfied"):
        if action == "unsatisfied":
            ticket.satisfied, ticket.feedback_note = False, note
        ticket.reopen_count = (ticket.reopen_count or 0) + 1
        ticket.feedback_asked_at = None
        ticket.closed_at = None
        routing.start_clock(settings=settings, ticket=ticket, now=now)
    elif action == "return":
        dispatcher = await routing.dispatcher_for(session=session, ticket=ticket, not_person=actor.person_id)
        data.update({"from": ticket.assignee_id, "to": dispatcher})
        ticket.assignee_id, ticket.assignee_team = dispatcher, None
        routing.start_clock(settings=settings, ticket=ticket, now=now)
    elif action == "reassign":
        routing.start_clock(settings=settings, ticket=ticket, now=now)
    elif other is not None:
        ticket.merged_into = other.number
        ticket.closed_at = now
        other.report_count = (other.report_count or 1) + (ticket.report_count or 1)
        add_event(
            session=session, ticket=other, actor_id=actor.person_id, action=f"{action}_from",
            note=note, data={"from": ticket.number}, at=now,
        )  # fmt: skip
    add_event(
        session=session, ticket=ticket, actor_id=actor.person_id, action=action, from_status=before,
        to_status=ticket.status, note=note, data=data, at=now,
    )  # fmt: skip
    await notify.announce(
        session=session, settings=settings, ticket=ticket, action=action, actor_id=actor.person_id, note=note
    )
    logger.info("ticket #%s: %s by %s (%s -> %s)", number, action, actor.person_id, before, ticket.status)
    return ticket


async def _other_ticket(session: AsyncSession, ticket: Ticket, target: str | None) -> Ticket:
    digits = "".join(ch for ch in (target or "") if ch.isdigit())
    if not digits:
        raise TicketError("bad_request", "请写明要并入的工单号。")
    number = int(digits)
    if number == ticket.number:
        raise TicketError("bad_request", "不能把工单并入它自己。")
    other = await session.get(Ticket, number)
    if other is None:
        raise TicketError("not_found", f"没有找到工单 #{number}。")
    if other.status not in _OPEN and other.status != S.RESOLVED:
        raise TicketError("illegal_transition", f"工单 #{number} 已结束，不能并入。")
    return other


async def recategorise(
    *,
    session: AsyncSession,
    settings: Settings,
    number: int,
    category: str,
    subtype: str | None,
    urgent: bool,
    actor: Actor,
    now: datetime | None = None,
) -> Ticket:
    """Correct a ticket's category (and re-route it when nobody has accepted it yet).

    The correction is stored as labelled data for the classifier (``record_correction``).

    Raises:
        TicketError: not_found, forbidden, or bad_request (unknown category/subtype).
    """
    from bot.classifier import Category, Subtype
    from bot.services.classifier import record_correction

    now = now or utcnow()
    try:
        new_category = Category(category)
        new_subtype = Subtype(subtype) if subtype else None
    except ValueError:
        raise TicketError("bad_request", f"未知类别：{category}/{subtype}") from None
    if new_category == Category.NONE or (new_category == Category.SERVICE) != (new_subtype is not None):
        raise TicketError("bad_request", "服务请求必须给出子类，其他类别不能有子类。")
    ticket = await get_ticket(session=session, number=number)
    if not actor.is_grid_staff(ticket):
        raise TicketError("forbidden", "只有本网格网格员/网格长或管理员可以更正类别。")
    old = {"category": ticket.category, "subtype": ticket.subtype, "urgent": ticket.urgent}
    record_correction(
        session=session, ticket_id=ticket.number, text=ticket.text, old_category=ticket.category,
        old_subtype=ticket.subtype, category=new_category, subtype=new_subtype, urgent=urgent, actor_id=actor.person_id,
    )  # fmt: skip
    ticket.category, ticket.subtype, ticket.urgent = (
        new_category.value,
        new_subtype.value if new_subtype else None,
        urgent,
    )
    ticket.updated_at = now
    new = {"category": ticket.category, "subtype": ticket.subtype, "urgent": ticket.urgent}
    add_event(
        session=session, ticket=ticket, actor_id=actor.person_id, action="recategorise",
        data={"from": old, "to": new}, at=now,
    )  # fmt: skip
    if ticket.status in (S.NEW, S.ASSIGNED, S.RETURNED) and old != new:
        await routing.dispatch(
            session=session, settings=settings, ticket=ticket, actor_id=actor.person_id, now=now
        )
    return ticket
