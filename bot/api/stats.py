"""``/api/stats``: queue and ticket totals, and the period's figures (the seed's counters, 响应率/解决率/满意率,
medians, SLA hit rate, per grid and per building), as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bot.api.deps import MAX_DB_INT, AnyUser, Principal, SessionDep
from bot.services import inbox, ticket
from bot.services import stats as stats_service
from bot.services.auth import console_config
from models.auth import TokenRole

router = APIRouter(prefix="/api", tags=["stats"])

DateParam = Annotated[
    date | None,
    Query(description="A local (Asia/Shanghai) calendar day, YYYY-MM-DD; `to` is inclusive."),
]


class StatsRead(BaseModel):
    """Totals (the queue right now and every ticket so far in scope) and ``period`` (the window's figures)."""

    messages_received: int
    messages_processed: int
    messages_failed: int
    inbox_pending: int
    unknown_group_messages: int
    tickets_total: int
    tickets_by_category: dict[str, int]
    tickets_by_status: dict[str, int]
    sla_status: dict[str, int] = Field(
        description="Open tickets by deadline state: on_time, warning, breached, no_deadline."
    )
    period: dict[str, Any] = Field(
        description="The window's figures; see docs/console.md for each definition."
    )


def resolve_scope(
    principal: Principal, from_: date | None, to: date | None, community: int | None, grid: int | None
) -> stats_service.Scope:
    """The window (default: this month, Asia/Shanghai) and scope; grid members are held to their grid."""
    if from_ is None and to is None:
        start, end = stats_service.month_bounds()
    else:
        start = stats_service.day_start(from_) if from_ else datetime(2000, 1, 1, tzinfo=UTC)
        end = stats_service.day_start(to + timedelta(days=1)) if to else stats_service.month_bounds()[1]
    if end <= start:
        raise HTTPException(422, detail={"code": "bad_period", "message": "`to` must not be before `from`"})
    if principal.role == TokenRole.GRID_MEMBER:
        if grid is not None and grid != principal.grid_id:
            raise HTTPException(
                403, detail={"code": "forbidden", "message": "grid members see their own grid only"}
            )
        grid = principal.grid_id if principal.grid_id is not None else -1
    return stats_service.Scope(start=start, end=end, community_id=community, grid_id=grid)


async def collect(session: Any, request: Request, scope: stats_service.Scope) -> StatsRead:
    by_status = await inbox.counts(session=session)
    ingest = getattr(request.app.state, "ingest", None)
    spool = ingest.spool if ingest is not None else None
    spooled = await spool.pending() if spool is not None else 0  # acked, not yet in the inbox table
    if scope.grid_id is None and scope.community_id is None:
        tickets = await ticket.counts(session=session)
    else:
        tickets = await stats_service.scoped_counts(session=session, scope=scope)
    period = await stats_service.period_figures(
        session=session,
        scope=scope,
        suggestion_keywords=console_config(request.app.state.settings).suggestion_keywords,
    )
    return StatsRead(
        messages_received=sum(by_status.values()) + spooled,
        messages_processed=by_status.get("done", 0),
        messages_failed=by_status.get("failed", 0),
        inbox_pending=by_status.get("pending", 0) + spooled,
        unknown_group_messages=by_status.get("held", 0),
        tickets_total=sum(tickets["by_category"].values()),
        tickets_by_category=tickets["by_category"],
        tickets_by_status=tickets["by_status"],
        sla_status=await stats_service.sla_status(session=session, scope=scope),
        period=period,
    )


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(figures: dict[str, Any]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in stats_service.csv_rows(figures):
        writer.writerow([_cell(v) for v in row])
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so that Excel opens the Chinese names as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="weigrid-stats.csv"'},
    )


@router.get("/stats", response_model=StatsRead, responses={200: {"content": {"text/csv": {}}}})
async def stats(
    request: Request,
    session: SessionDep,
    principal: AnyUser,
    from_: Annotated[DateParam, Query(alias="from")] = None,
    to: DateParam = None,
    community: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    grid: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Totals and the period's figures. ``format=csv`` (or ``/api/stats.csv``) downloads the period's tables."""
    scope = resolve_scope(principal, from_, to, community, grid)
    result = await collect(session, request, scope)
    if format == "csv":
        return to_csv(result.period)
    return result


@router.get("/stats.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def stats_csv(
    request: Request,
    session: SessionDep,
    principal: AnyUser,
    from_: Annotated[DateParam, Query(alias="from")] = None,
    to: DateParam = None,
    community: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    grid: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
) -> Response:
    """The period's figures as CSV (UTF-8 with BOM): a summary block, then per-grid and per-building rows."""
    scope = resolve_scope(principal, from_, to, community, grid)
    period = await stats_service.period_figures(
        session=session,
        scope=scope,
        suggestion_keywords=console_config(request.app.state.settings).suggestion_keywords,
    )
    return to_csv(period)
