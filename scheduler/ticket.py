"""Ticket jobs: SLA warnings, escalation (督办), urgent re-paging, and closing unanswered feedback.

Every deadline lives on the ticket (``accept_due_at``, ``resolve_due_at``, ``sla_started_at``) next to
what was already done (``warned_at``, ``escalation_level``, ``last_paged_at``, ``page_count``), and
every alert has a dedupe key built from the ticket, its SLA cycle and the step. A run is therefore
idempotent, and a run after downtime does the missed work once: one warning (skipped when the
deadline has already passed), each missed escalation level once, and one page, not one per missed
interval.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.services import notify, routing, workflow
from bot.services.sla import sla_config
from bot.services.ticket import add_event
from bot.settings import Settings
from models.base import utcnow
from models.registry import Group
from models.ticket import Ticket, TicketStatus

logger = logging.getLogger(__name__)

ACCEPT_PHASE = frozenset({TicketStatus.ASSIGNED, TicketStatus.REOPENED, TicketStatus.RETURNED})
RESOLVE_PHASE = frozenset({TicketStatus.ACCEPTED, TicketStatus.IN_PROGRESS})
LEVEL_NAMES = {"grid_leader": "网格长", "admins": "社区管理员"}


@dataclass
class SweepReport:
    """What one SLA sweep did."""

    checked: int = 0
    warned: int = 0
    escalated: int = 0
    paged: int = 0
    dispatched: int = 0


async def sweep_ticket(
    *, session: AsyncSession, settings: Settings, ticket: Ticket, now: datetime
) -> SweepReport:
    """Do whatever is due on one open ticket: route it, page, warn, escalate."""
    report = SweepReport(checked=1)
    if ticket.status == TicketStatus.NEW:  # routing found nobody earlier: try again, never leave it
        route = await routing.dispatch(session=session, settings=settings, ticket=ticket, now=now)
        report.dispatched += route.assignee_id is not None
        return report
    config = sla_config(settings)
    policy = config.policy(ticket.sla_policy)
    accept_phase = ticket.status in ACCEPT_PHASE
    due = ticket.accept_due_at if accept_phase else ticket.resolve_due_at
    n, cycle = ticket.number, ticket.sla_cycle
    if ticket.urgent and accept_phase and ticket.status != TicketStatus.RETURNED:
        last = ticket.last_paged_at or ticket.sla_started_at or now
        if now >= last + timedelta(minutes=config.page_interval_minutes):
            ticket.page_count = (ticket.page_count or 0) + 1
            ticket.last_paged_at = now
            await notify.alert(
                session=session,
                settings=settings,
                ticket=ticket,
                people=[p for p in [ticket.assignee_id, *(ticket.cc or [])] if p],
                key=f"page:{n}:{cycle}:{ticket.page_count}",
                headline=f"紧急催办（第{ticket.page_count + 1}次）",
            )
            add_event(
                session=session,
                ticket=ticket,
                actor_id="system",
                action="page",
                data={"k": ticket.page_count},
                at=now,
            )
            report.paged += 1
    if due is None:
        return report
    phase = "签收" if accept_phase else "办结"
    warn_due = (
        config.elapsed_point(policy, ticket.sla_started_at, due, config.warn_ratio)
        if ticket.warned_at is None and ticket.sla_started_at is not None and now < due
        else None
    )
    if warn_due is not None and now >= warn_due:
        ticket.warned_at = now
        await notify.alert(
            session=session,
            settings=settings,
            ticket=ticket,
            people=[ticket.assignee_id] if ticket.assignee_id else [],
            key=f"sla:{n}:{cycle}:warn",
            headline=f"超时预警（{phase}）",
            hint=f"{phase}时限 {notify.local_time(due)} 将到，请尽快处理",
        )
        add_event(
            session=session,
            ticket=ticket,
            actor_id="system",
            action="warn",
            note=f"超时预警：{phase}时限将到",
            at=now,
        )
        report.warned += 1
    levels = config.escalation
    interval = timedelta(minutes=policy.escalation_interval_minutes)
    while ticket.escalation_level < len(levels) and now >= due + interval * ticket.escalation_level:
        level = ticket.escalation_level + 1
        kind = levels[level - 1]
        people = await escalation_targets(session=session, ticket=ticket, kind=kind)
        ticket.escalation_level = level
        await notify.alert(
            session=session,
            settings=settings,
            ticket=ticket,
            people=people,
            key=f"sla:{n}:{cycle}:escalate:{level}",
            headline=f"督办（{phase}超时）",
            hint=f"{phase}时限 {notify.local_time(due)} 已过，处理人：{await notify.person_name(session, ticket.assignee_id)}",
        )
        add_event(
            session=session,
            ticket=ticket,
            actor_id="system",
            action="escalate",
            note=f"督办：{phase}超时，第{level}级，已通知{LEVEL_NAMES.get(kind, kind)}",
            data={"level": level, "to": people, "phase": phase, "due": due.isoformat()},
            at=now,
        )
        report.escalated += 1
    return report


async def escalation_targets(*, session: AsyncSession, ticket: Ticket, kind: str) -> list[str]:
    """The grid leader(s) of the ticket's grid (admins when there are none), or the admins."""
    group = await session.get(Group, ticket.group_id) if ticket.group_id else None
    for step in (kind, "admins"):
        people, _ = await routing.resolve_kind(
            session=session, kind=step, group=group, grid_id=ticket.grid_id, subtype=ticket.subtype
        )
        if people:
            return people
    return []


def next_due_at(ticket: Ticket, settings: Settings) -> datetime | None:
    """When ``sweep_ticket`` next has something to do for this ticket (None: nothing ever)."""
    if ticket.status == TicketStatus.NEW:
        return ticket.created_at
    config = sla_config(settings)
    policy = config.policy(ticket.sla_policy)
    accept_phase = ticket.status in ACCEPT_PHASE
    due = ticket.accept_due_at if accept_phase else ticket.resolve_due_at
    moments: list[datetime] = []
    if ticket.urgent and accept_phase and ticket.status != TicketStatus.RETURNED:
        last = ticket.last_paged_at or ticket.sla_started_at
        if last is not None:
            moments.append(last + timedelta(minutes=config.page_interval_minutes))
    if due is not None:
        if ticket.warned_at is None and ticket.sla_started_at is not None:
            moments.append(
                min(due, config.elapsed_point(policy, ticket.sla_started_at, due, config.warn_ratio))
            )
        if ticket.escalation_level < len(config.escalation):
            moments.append(
                due + timedelta(minutes=policy.escalation_interval_minutes) * ticket.escalation_level
            )
    return min(moments) if moments else None


async def due_numbers(*, session: AsyncSession, settings: Settings, now: datetime) -> list[int]:
    """Open tickets with something due now, urgent first (read in one query; no write transaction)."""
    states = [s.value for s in (TicketStatus.NEW, *ACCEPT_PHASE, *RESOLVE_PHASE)]
    query = select(Ticket).where(Ticket.status.in_(states)).order_by(Ticket.urgent.desc(), Ticket.number)
    numbers = []
    # Streamed in chunks, yielding to the event loop between them: thousands of open tickets must not
    # hold up the webhooks' acknowledgements in the same process.
    result = await session.stream_scalars(query.execution_options(yield_per=200))
    async for chunk in result.partitions(200):
        for ticket in chunk:
            moment = next_due_at(ticket, settings)
            if moment is not None and moment <= now:
                numbers.append(ticket.number)
        await asyncio.sleep(0)
    return numbers


async def sweep(*, db: Database, settings: Settings, now: datetime | None = None) -> SweepReport:
    """One SLA pass: every open ticket with something due, each in its own unit of work (one bad ticket
    stops nothing). ``checked`` counts the tickets that had work."""
    now = now or utcnow()
    total = SweepReport()
    async with db.session() as session:
        numbers = await due_numbers(session=session, settings=settings, now=now)
    for number in numbers:
        try:
            async with db.unit_of_work() as session:
                ticket = await session.get(Ticket, number, with_for_update=True)
                if ticket is None:
                    continue
                one = await sweep_ticket(session=session, settings=settings, ticket=ticket, now=now)
        except Exception:
            logger.exception("SLA sweep failed on ticket #%s", number)
            continue
        for field in ("checked", "warned", "escalated", "paged", "dispatched"):
            setattr(total, field, getattr(total, field) + getattr(one, field))
    if total.warned or total.escalated or total.paged:
        logger.info("SLA sweep: %s", total)
    return total


async def close_unanswered(*, db: Database, settings: Settings, now: datetime | None = None) -> int:
    """Close resolved tickets whose reporter did not answer 满意/不满意 in time. Returns how many."""
    now = now or utcnow()
    limit = now - timedelta(hours=sla_config(settings).feedback_timeout_hours)
    async with db.session() as session:
        numbers = list(
            (
                await session.scalars(
                    select(Ticket.number).where(
                        Ticket.status == TicketStatus.RESOLVED.value,
                        Ticket.feedback_asked_at.is_not(None),
                        Ticket.feedback_asked_at <= limit,
                    )
                )
            ).all()
        )
    closed = 0
    for number in numbers:
        try:
            async with db.unit_of_work() as session:
                await workflow.apply_action(
                    session=session,
                    settings=settings,
                    number=number,
                    action="close",
                    actor=workflow.Actor.system(),
                    note="超过评价期限未评价，自动归档",
                    now=now,
                )
            closed += 1
        except workflow.TicketError as exc:
            logger.info("feedback timeout: ticket #%s not closed (%s)", number, exc.code)
    return closed


async def sla_job() -> None:
    """Scheduled every 30 s: warnings, escalation, urgent paging."""
    from scheduler import runtime

    rt = runtime()
    await sweep(db=rt.db, settings=rt.settings)


async def feedback_job() -> None:
    """Scheduled every 10 min: close resolved tickets without feedback after ``sla.feedback_timeout_hours``."""
    from scheduler import runtime

    rt = runtime()
    await close_unanswered(db=rt.db, settings=rt.settings)
