"""Figures for the dashboard, ``/api/stats`` and its CSV export.

Definitions (also in docs/console.md):

* consultations (群众咨询、求助服务): service tickets (every subtype) created in the period;
* suggestions (建议、意见): messages received in the period whose text contains one of
  ``console.suggestion_keywords`` (建议, 意见, 提议, ...), ticketed or not;
* disputes resolved (化解矛盾纠纷): dispute tickets resolved (办结) in the period;
* response rate (响应率): of the period's tickets whose accept deadline has passed or that were accepted,
  the share accepted by the deadline (tickets still inside their deadline are not counted yet);
* resolution rate (解决率): resolved or closed tickets / all tickets of the period (merged and duplicates
  excluded, they live on in the ticket they joined);
* satisfaction rate (满意率): 满意 answers / all answers;
* SLA hit rate: of the period's tickets with a resolve deadline that were resolved or are past it, the share
  resolved by the deadline;
* medians: minutes from creation to acceptance and to resolution.

Rates are ``None`` when their denominator is 0. Aggregation runs in Python over one query of the
period's tickets: a month of tickets for 800 groups is a few thousand rows, and it keeps medians and
deadlines identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import LOCAL_TZ, to_local, utcnow
from models.inbox import InboxMessage
from models.registry import Building, Community, Grid
from models.ticket import OPEN_STATUSES, Ticket, TicketStatus

RESOLVED = frozenset({TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value})
FOLDED = frozenset({TicketStatus.MERGED.value, TicketStatus.DUPLICATE.value})
OPEN = frozenset(s.value for s in OPEN_STATUSES)


@dataclass(frozen=True)
class Scope:
    """Which tickets count: a period (UTC bounds, end exclusive), optionally one community or grid."""

    start: datetime
    end: datetime
    community_id: int | None = None
    grid_id: int | None = None


def month_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The current calendar month in Asia/Shanghai, as UTC bounds."""
    local = to_local(now or utcnow())
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first.astimezone(UTC), nxt.astimezone(UTC)


def day_start(day: date) -> datetime:
    """Midnight of a local (Asia/Shanghai) day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _median_minutes(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


@dataclass
class _Tally:
    tickets: int = 0
    open: int = 0
    resolved: int = 0
    urgent: int = 0
    accepted_on_time: int = 0
    accept_counted: int = 0
    resolved_on_time: int = 0
    resolve_counted: int = 0
    satisfied: int = 0
    answered: int = 0

    def add(self, t: Ticket, now: datetime) -> None:
        self.tickets += 1
        self.open += t.status in OPEN
        self.resolved += t.status in RESOLVED or t.resolved_at is not None
        self.urgent += bool(t.urgent)
        if t.accept_due_at is not None and (t.accepted_at is not None or t.accept_due_at <= now):
            self.accept_counted += 1
            self.accepted_on_time += t.accepted_at is not None and t.accepted_at <= t.accept_due_at
        if t.resolve_due_at is not None and (t.resolved_at is not None or t.resolve_due_at <= now):
            self.resolve_counted += 1
            self.resolved_on_time += t.resolved_at is not None and t.resolved_at <= t.resolve_due_at
        if t.satisfied is not None:
            self.answered += 1
            self.satisfied += bool(t.satisfied)

    def rates(self) -> dict[str, Any]:
        return {
            "tickets": self.tickets,
            "open": self.open,
            "resolved": self.resolved,
            "urgent": self.urgent,
            "response_rate": _rate(self.accepted_on_time, self.accept_counted),
            "resolution_rate": _rate(self.resolved, self.tickets),
            "satisfaction_rate": _rate(self.satisfied, self.answered),
            "sla_hit_rate": _rate(self.resolved_on_time, self.resolve_counted),
        }


def _scoped(query: Any, scope: Scope) -> Any:
    if scope.grid_id is not None:
        query = query.where(Ticket.grid_id == scope.grid_id)
    if scope.community_id is not None:
        query = query.where(
            Ticket.grid_id.in_(select(Grid.id).where(Grid.community_id == scope.community_id))
        )
    return query


async def _period_tickets(session: AsyncSession, scope: Scope) -> list[Ticket]:
    query = _scoped(select(Ticket), scope).where(
        Ticket.created_at >= scope.start, Ticket.created_at < scope.end
    )
    return list((await session.scalars(query)).all())


async def _names(session: AsyncSession) -> tuple[dict[int, str], dict[int, tuple[str, int]]]:
    grids = {
        gid: f"{cname}·{gname}"
        for gid, gname, cname in (
            await session.execute(select(Grid.id, Grid.name, Community.name).join(Community))
        ).all()
    }
    buildings = {
        bid: (bname, grid_id)
        for bid, bname, grid_id in (
            await session.execute(select(Building.id, Building.name, Building.grid_id))
        ).all()
    }
    return grids, buildings


async def _suggestions(session: AsyncSession, scope: Scope, keywords: list[str]) -> int:
    words = [w for w in keywords if w]
    if not words:
        return 0
    query = (
        select(func.count())
        .select_from(InboxMessage)
        .where(
            InboxMessage.received_at >= scope.start,
            InboxMessage.received_at < scope.end,
            or_(*[InboxMessage.text.contains(w, autoescape=True) for w in words]),
        )
    )
    if scope.grid_id is not None or scope.community_id is not None:
        from models.registry import Group

        groups = select(Group.group_id).join(Building, Group.building_id == Building.id)
        if scope.grid_id is not None:
            groups = groups.where(Building.grid_id == scope.grid_id)
        if scope.community_id is not None:
            groups = groups.join(Grid, Building.grid_id == Grid.id).where(
                Grid.community_id == scope.community_id
            )
        query = query.where(InboxMessage.group_id.in_(groups))
    return int(await session.scalar(query) or 0)


async def sla_status(*, session: AsyncSession, scope: Scope, now: datetime | None = None) -> dict[str, int]:
    """Open tickets (any age) by deadline state: on time, warning (≥ 80% of the time used), breached."""
    now = now or utcnow()
    query = _scoped(select(Ticket), scope).where(Ticket.status.in_(OPEN))
    out = {"on_time": 0, "warning": 0, "breached": 0, "no_deadline": 0}
    for t in (await session.scalars(query)).all():
        due = t.accept_due_at if t.accepted_at is None else t.resolve_due_at
        if due is None:
            out["no_deadline"] += 1
        elif due <= now:
            out["breached"] += 1
        elif (now - (t.sla_started_at or t.created_at)) >= (due - (t.sla_started_at or t.created_at)) * 0.8:
            out["warning"] += 1
        else:
            out["on_time"] += 1
    return out


async def period_figures(
    *, session: AsyncSession, scope: Scope, suggestion_keywords: list[str], now: datetime | None = None
) -> dict[str, Any]:
    """Every windowed figure: counters, rates, medians, per-day series, per-grid and per-building tables."""
    now = now or utcnow()
    tickets = [t for t in await _period_tickets(session, scope) if t.status not in FOLDED]
    grid_names, building_names = await _names(session)
    total = _Tally()
    per_grid: dict[int | None, _Tally] = defaultdict(_Tally)
    per_building: dict[int | None, _Tally] = defaultdict(_Tally)
    by_category: Counter[str] = Counter()
    by_subtype: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    to_accept: list[float] = []
    to_resolve: list[float] = []
    for t in tickets:
        total.add(t, now)
        per_grid[t.grid_id].add(t, now)
        per_building[t.building_id].add(t, now)
        by_category[t.category] += 1
        by_status[t.status] += 1
        if t.subtype:
            by_subtype[t.subtype] += 1
        per_day[to_local(t.created_at).date().isoformat()][t.category] += 1
        if t.accepted_at is not None:
            to_accept.append(_minutes(t.created_at, t.accepted_at))
        if t.resolved_at is not None:
            to_resolve.append(_minutes(t.created_at, t.resolved_at))
    disputes_resolved = sum(
        1
        for t in tickets
        if t.category == "dispute" and t.resolved_at is not None and scope.start <= t.resolved_at < scope.end
    )
    days: list[dict[str, Any]] = []
    day = to_local(scope.start).date()
    last = to_local(
        min(scope.end, max(now, scope.start + timedelta(seconds=1))) - timedelta(seconds=1)
    ).date()
    while day <= last and len(days) < 400:
        days.append(
            {
                "date": day.isoformat(),
                **{
                    c: per_day[day.isoformat()].get(c, 0)
                    for c in ("dispute", "hazard", "security", "service")
                },
            }
        )
        day += timedelta(days=1)
    return {
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
        "messages_received": await _messages(session, scope),
        "tickets": total.tickets,
        "tickets_by_category": dict(by_category),
        "tickets_by_subtype": dict(by_subtype),
        "tickets_by_status": dict(by_status),
        "consultations": by_category.get("service", 0),
        "suggestions": await _suggestions(session, scope, suggestion_keywords),
        "disputes_resolved": disputes_resolved,
        **{k: v for k, v in total.rates().items() if k.endswith("_rate")},
        "median_minutes_to_accept": _median_minutes(to_accept),
        "median_minutes_to_resolve": _median_minutes(to_resolve),
        "per_day": days,
        "per_grid": [
            {"grid_id": gid, "name": grid_names.get(gid, "未归属") if gid else "未归属", **tally.rates()}
            for gid, tally in sorted(per_grid.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        ],
        "per_building": [
            {
                "building_id": bid,
                "name": building_names.get(bid, ("未归属", 0))[0] if bid else "未归属",
                "grid_id": building_names.get(bid, ("", None))[1] if bid else None,
                **tally.rates(),
            }
            for bid, tally in sorted(per_building.items(), key=lambda kv: (-kv[1].tickets, kv[0] or 0))
        ],
    }


async def _messages(session: AsyncSession, scope: Scope) -> int:
    query = (
        select(func.count())
        .select_from(InboxMessage)
        .where(InboxMessage.received_at >= scope.start, InboxMessage.received_at < scope.end)
    )
    if scope.grid_id is not None or scope.community_id is not None:
        from models.registry import Group

        groups = select(Group.group_id).join(Building, Group.building_id == Building.id)
        if scope.grid_id is not None:
            groups = groups.where(Building.grid_id == scope.grid_id)
        if scope.community_id is not None:
            groups = groups.join(Grid, Building.grid_id == Grid.id).where(
                Grid.community_id == scope.community_id
            )
        query = query.where(InboxMessage.group_id.in_(groups))
    return int(await session.scalar(query) or 0)


CSV_COLUMNS = (
    "scope",
    "id",
    "name",
    "tickets",
    "open",
    "resolved",
    "urgent",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "sla_hit_rate",
)


def csv_rows(figures: dict[str, Any]) -> list[list[Any]]:
    """The period's figures as CSV rows: a summary block, then per-grid and per-building tables."""
    rows: list[list[Any]] = [["metric", "value"]]
    for key in (
        "from",
        "to",
        "messages_received",
        "tickets",
        "consultations",
        "suggestions",
        "disputes_resolved",
        "response_rate",
        "resolution_rate",
        "satisfaction_rate",
        "sla_hit_rate",
        "median_minutes_to_accept",
        "median_minutes_to_resolve",
    ):
        rows.append([key, "" if figures.get(key) is None else figures[key]])
    for key in ("tickets_by_category", "tickets_by_subtype", "tickets_by_status"):
        for name, n in sorted(figures[key].items()):
            rows.append([f"{key}.{name}", n])
    rows.append([])
    rows.append(list(CSV_COLUMNS))
    for scope, key, id_key in (("grid", "per_grid", "grid_id"), ("building", "per_building", "building_id")):
        for r in figures[key]:
            rows.append(
                [
                    scope,
                    r[id_key] or "",
                    r["name"],
                    *(("" if r[c] is None else r[c]) for c in CSV_COLUMNS[3:]),
                ]
            )
    return rows


async def scoped_counts(*, session: AsyncSession, scope: Scope) -> dict[str, dict[str, int]]:
    """All-time ticket totals by category and status within a community or grid."""
    by_category = await session.execute(
        _scoped(select(Ticket.category, func.count()), scope).group_by(Ticket.category)
    )
    by_status = await session.execute(
        _scoped(select(Ticket.status, func.count()), scope).group_by(Ticket.status)
    )
    return {
        "by_category": {k: int(v) for k, v in by_category.all()},
        "by_status": {k: int(v) for k, v in by_status.all()},
    }
