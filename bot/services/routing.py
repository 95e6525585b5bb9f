"""Routing (分拨): who gets a ticket first, who is copied, and which SLA applies.

The ``routing:`` section of config.yaml holds an ordered rule list; the first rule whose ``category``,
``subtype`` and ``urgent`` match (a missing field matches anything) decides. Assignee and cc kinds:

* ``building_leader``: the group's 楼栋长 (``Group.leader_id``);
* ``grid_member``: the group's 网格员 (``Group.grid_member_id``, else a grid member of the group's grid);
* ``grid_leader``: the 网格长 of the group's grid;
* ``team_lead`` / ``team_lead:<team>``: the lead of a volunteer team (the subtype's team when no code is
  given): ``Team.lead_id``, else a volunteer of that team named 队长/组长, else its first volunteer;
* ``on_duty``: everyone flagged on duty (``Person.on_duty``) in the grid or community-wide;
* ``admins``: the community admins.

When the first kind finds nobody, the ``fallback`` chain is tried (default: grid member → grid leader →
admins), so a ticket is never left unassigned while anyone is registered.

``dispatch`` applies a route to a ticket (分拨: assignee, cc, SLA deadlines, event, alerts) and
``start_clock`` starts an SLA phase; the state machine (``bot.services.workflow``) and the report path
(``bot.services.ticket.open_or_merge``) call them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import notify, registry
from bot.services.sla import sla_config
from bot.services.ticket import add_event
from bot.settings import Settings
from models.base import utcnow
from models.registry import Group, Person, Role, Team
from models.ticket import Ticket, TicketStatus

logger = logging.getLogger(__name__)

_KIND = re.compile(r"^(building_leader|grid_member|grid_leader|on_duty|admins|team_lead(?::[a-z_]+)?)$")


class RoutingRule(BaseModel):
    """One row of the routing table. ``None`` fields match anything."""

    category: str | None = None
    subtype: str | None = None
    urgent: bool | None = None
    assignee: str
    cc: list[str] = Field(default_factory=list)
    sla: str = "default"

    @field_validator("assignee")
    @classmethod
    def _assignee_kind(cls, value: str) -> str:
        if not _KIND.match(value):
            raise ValueError(f"routing: unknown assignee kind {value!r}")
        return value

    @field_validator("cc")
    @classmethod
    def _cc_kinds(cls, value: list[str]) -> list[str]:
        for kind in value:
            if not _KIND.match(kind):
                raise ValueError(f"routing: unknown cc kind {kind!r}")
        return value

    def matches(self, category: str, subtype: str | None, urgent: bool) -> bool:
        return (
            (self.category is None or self.category == category)
            and (self.subtype is None or self.subtype == subtype)
            and (self.urgent is None or self.urgent == urgent)
        )


DEFAULT_RULES: list[dict[str, Any]] = [
    {"urgent": True, "assignee": "grid_member", "cc": ["grid_leader", "on_duty"], "sla": "urgent"},
    {"category": "service", "subtype": "repair", "assignee": "building_leader", "sla": "default"},
    {"category": "service", "subtype": "sanitation", "assignee": "building_leader", "sla": "default"},
    {"category": "service", "subtype": "health", "assignee": "team_lead", "cc": ["grid_member"]},
    {"category": "service", "subtype": "legal", "assignee": "team_lead", "cc": ["grid_member"]},
    {"category": "service", "subtype": "assistance", "assignee": "team_lead", "cc": ["grid_member"]},
    {"category": "dispute", "assignee": "grid_member", "sla": "default"},
    {"category": "hazard", "assignee": "grid_member", "sla": "hazard"},
    {"category": "security", "assignee": "grid_member", "sla": "security"},
    {"assignee": "grid_member", "sla": "default"},
]


class RoutingConfig(BaseModel):
    """The parsed ``routing:`` section."""

    rules: list[RoutingRule] = Field(default_factory=lambda: [RoutingRule(**r) for r in DEFAULT_RULES])
    fallback: list[str] = Field(default_factory=lambda: ["grid_member", "grid_leader", "admins"])

    def rule_for(self, category: str, subtype: str | None, urgent: bool) -> RoutingRule:
        """The first matching rule (a catch-all to the grid member when none matches)."""
        for rule in self.rules:
            if rule.matches(category, subtype, urgent):
                return rule
        return RoutingRule(assignee="grid_member", sla="urgent" if urgent else "default")


def routing_config(settings: Settings) -> RoutingConfig:
    """The ``routing:`` section as a typed model (the seed's defaults when empty)."""
    return RoutingConfig.model_validate(settings.routing or {})


@dataclass
class Route:
    """Where a ticket goes: the assignee, the people copied, the SLA policy, and how it was found."""

    assignee_id: str | None
    assignee_team: str | None
    cc: list[str]
    sla: str
    kind: str  # the kind that produced the assignee (e.g. "grid_leader" after a fallback)
    fallback: bool = False
    notes: list[str] = field(default_factory=list)


async def _active(session: AsyncSession, person_id: str | None) -> str | None:
    """``person_id`` unless the registry marks that person inactive."""
    if not person_id:
        return None
    person = await session.get(Person, person_id)
    if person is not None and not person.active:
        return None
    return person_id


async def team_lead(*, session: AsyncSession, team: str) -> str | None:
    """A team's lead: ``Team.lead_id``, else its volunteer named 队长/组长, else its first volunteer."""
    row = await session.get(Team, team)
    if row is not None and await _active(session, row.lead_id):
        return row.lead_id
    members = list(
        (
            await session.scalars(
                select(Person).where(Person.team == team, Person.active.is_(True)).order_by(Person.person_id)
            )
        ).all()
    )
    for person in members:
        if "队长" in person.name or "组长" in person.name:
            return person.person_id
    return members[0].person_id if members else None


async def resolve_kind(
    *, session: AsyncSession, kind: str, group: Group | None, grid_id: int | None, subtype: str | None
) -> tuple[list[str], str | None]:
    """The people a kind names for a ticket, primary first, and the team code (for team leads)."""
    if kind == "building_leader":
        found = await _active(session, group.leader_id if group else None)
        return ([found] if found else []), None
    if kind == "grid_member":
        found = await _active(session, group.grid_member_id if group else None)
        if found:
            return [found], None
        if grid_id is None:
            return [], None
        people = await registry.people_with_role(session=session, role=Role.GRID_MEMBER, grid_id=grid_id)
        return [p.person_id for p in people[:1]], None
    if kind == "grid_leader":
        if grid_id is None:
            return [], None
        people = await registry.people_with_role(session=session, role=Role.GRID_LEADER, grid_id=grid_id)
        return [p.person_id for p in people], None
    if kind == "admins":
        people = await registry.people_with_role(session=session, role=Role.ADMIN)
        return [p.person_id for p in people], None
    if kind == "on_duty":
        query = select(Person.person_id).where(Person.on_duty.is_(True), Person.active.is_(True))
        if grid_id is not None:
            query = query.where(or_(Person.grid_id == grid_id, Person.grid_id.is_(None)))
        return list((await session.scalars(query.order_by(Person.person_id))).all()), None
    if kind.startswith("team_lead"):
        team = kind.partition(":")[2] or subtype
        if not team:
            return [], None
        lead = await team_lead(session=session, team=team)
        return ([lead] if lead else []), team
    raise ValueError(f"unknown routing kind {kind!r}")


async def route(
    *,
    session: AsyncSession,
    settings: Settings,
    category: str,
    subtype: str | None,
    urgent: bool,
    group: Group | None,
    grid_id: int | None,
) -> Route:
    """Apply the routing table and the registry to one (category, subtype, urgent) in one place."""
    config = routing_config(settings)
    rule = config.rule_for(category, subtype, urgent)
    chain = [rule.assignee] + [k for k in config.fallback if k != rule.assignee]
    assignee: str | None = None
    team: str | None = None
    kind_used = rule.assignee
    extra: list[str] = []
    notes: list[str] = []
    for kind in chain:
        people, team_code = await resolve_kind(
            session=session, kind=kind, group=group, grid_id=grid_id, subtype=subtype
        )
        if people:
            assignee, extra, kind_used = people[0], people[1:], kind
            team = team_code
            break
        notes.append(f"no {kind}")
    cc: list[str] = []
    for kind in rule.cc:
        people, _ = await resolve_kind(
            session=session, kind=kind, group=group, grid_id=grid_id, subtype=subtype
        )
        cc.extend(people)
    if urgent and kind_used != rule.assignee:
        # the grid member is missing: whoever stands in still pages the rest of the urgent chain
        notes.append(f"urgent fallback to {kind_used}")
    seen = {assignee}
    unique_cc = []
    for person_id in extra + cc:
        if person_id not in seen:
            seen.add(person_id)
            unique_cc.append(person_id)
    if assignee is None:
        logger.error("routing found nobody for %s/%s (group %s)", category, subtype, group and group.group_id)
    return Route(
        assignee_id=assignee,
        assignee_team=team,
        cc=unique_cc,
        sla=rule.sla if not urgent else (rule.sla if rule.urgent else "urgent"),
        kind=kind_used,
        fallback=kind_used != rule.assignee,
        notes=notes,
    )


async def route_ticket(*, session: AsyncSession, settings: Settings, ticket: Ticket) -> Route:
    """Route an existing ticket from its own category and place."""
    group = await session.get(Group, ticket.group_id) if ticket.group_id else None
    return await route(
        session=session,
        settings=settings,
        category=ticket.category,
        subtype=ticket.subtype,
        urgent=ticket.urgent,
        group=group,
        grid_id=ticket.grid_id,
    )


def start_clock(*, settings: Settings, ticket: Ticket, now: datetime, accept: bool = True) -> None:
    """Start a new SLA phase: fresh deadlines (accept and resolve, or resolve only), warnings re-armed."""
    config = sla_config(settings)
    policy = config.policy(ticket.sla_policy)
    if accept:
        ticket.accept_due_at = config.add(policy, now, policy.accept_minutes)
        ticket.resolve_due_at = config.add(policy, now, policy.resolve_minutes)
        ticket.last_paged_at = now if ticket.urgent else None
        ticket.page_count = 0
    ticket.sla_started_at = now
    ticket.sla_cycle = (ticket.sla_cycle or 0) + 1
    ticket.warned_at = None
    ticket.escalation_level = 0


async def dispatch(
    *,
    session: AsyncSession,
    settings: Settings,
    ticket: Ticket,
    actor_id: str = "system",
    now: datetime | None = None,
) -> Route:
    """Route a ticket (分拨): set assignee, cc, SLA and deadlines, log it, alert everyone routed to."""
    now = now or utcnow()
    route = await route_ticket(session=session, settings=settings, ticket=ticket)
    before = ticket.status
    data: dict[str, Any] = {
        "assignee": route.assignee_id,
        "team": route.assignee_team,
        "cc": route.cc,
        "sla": route.sla,
        "kind": route.kind,
        "fallback": route.fallback,
        "notes": route.notes,
    }
    if route.assignee_id is None:
        add_event(
            session=session, ticket=ticket, actor_id=actor_id, action="dispatch_failed", data=data, at=now
        )
        logger.error("ticket #%s: nobody to route to; left in %s", ticket.number, before)
        return route
    ticket.assignee_id, ticket.assignee_team, ticket.cc = route.assignee_id, route.assignee_team, route.cc
    ticket.sla_policy = route.sla
    ticket.status = TicketStatus.ASSIGNED.value
    start_clock(settings=settings, ticket=ticket, now=now)
    add_event(
        session=session,
        ticket=ticket,
        actor_id=actor_id,
        action="dispatch",
        from_status=before,
        to_status=ticket.status,
        data=data,
        at=now,
    )
    await notify.alert(
        session=session,
        settings=settings,
        ticket=ticket,
        people=[route.assignee_id, *route.cc],
        key=f"alert:{ticket.number}:{ticket.sla_cycle}",
        headline="新工单",
    )
    return route


async def dispatcher_for(
    *, session: AsyncSession, ticket: Ticket, not_person: str | None = None
) -> str | None:
    """Who re-dispatches a returned ticket: the grid member, else the grid leader, else an admin
    (skipping ``not_person``, who returned it, unless nobody else is left)."""
    group = await session.get(Group, ticket.group_id) if ticket.group_id else None
    for kind in ("grid_member", "grid_leader", "admins"):
        people, _ = await resolve_kind(
            session=session, kind=kind, group=group, grid_id=ticket.grid_id, subtype=ticket.subtype
        )
        people = [p for p in people if p != not_person] or (people if kind == "admins" else [])
        if people:
            return people[0]
    return ticket.assignee_id
