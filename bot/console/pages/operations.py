"""Outages and planned work (inhibitions) and care pairings (结对关爱)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from bot.api.deps import SessionDep
from bot.console.web import AdminActionUser, PageUser, back, render
from models.base import LOCAL_TZ, utcnow
from models.care import CARE_NAMES, CareDue, CareHousehold, CarePairing, CareVisit
from models.registry import Grid, Person

router = APIRouter()


def _local(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise ValueError("时间格式不对") from None


@router.get("/outages", response_class=HTMLResponse)
async def outages_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Declared outages and planned work: in force, upcoming, past."""
    from models.inhibition import Inhibition, InhibitionKind

    rows = (await session.scalars(select(Inhibition).order_by(Inhibition.id.desc()).limit(100))).all()
    grids = (await session.scalars(select(Grid).order_by(Grid.id))).all()
    return render(
        request,
        "outages.html",
        rows=rows,
        now=utcnow(),
        kinds=[k.value for k in InhibitionKind if k.value != "other"],
        grids=grids,
    )


@router.post("/outages")
async def create_outage(
    request: Request,
    session: SessionDep,
    principal: AdminActionUser,
    kind: Annotated[str, Form(max_length=20)],
    scope_kind: Annotated[str, Form(max_length=16)] = "all",
    grid_ids: Annotated[list[str] | None, Form()] = None,
    starts_at: Annotated[str, Form(max_length=40)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    notice: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Declare an outage through the inhibitions API's own code path. Audited."""
    from bot.api.inhibitions import InhibitionCreate, create_inhibition

    try:
        body = InhibitionCreate.model_validate(
            {
                "kind": kind,
                "scope_kind": scope_kind if scope_kind in ("all", "grids") else "all",
                "scope_ids": [g for g in (grid_ids or []) if g.isdigit()] if scope_kind == "grids" else [],
                "starts_at": _local(starts_at),
                "ends_at": _local(ends_at),
                "notice": notice.strip() or f"{kind}期间，相关问题无需重复反映。",
            }
        )
    except (ValidationError, ValueError) as exc:
        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        return back("/console/outages", err=f"未能登记：{message}")
    await create_inhibition(body, request, session, principal)  # commits, with its audit row
    return back("/console/outages", msg=f"已登记{kind}，时段内相关反映将回复通知而不立工单")


@router.post("/outages/{inhibition_id}/cancel")
async def cancel_outage(
    inhibition_id: int, request: Request, session: SessionDep, principal: AdminActionUser
) -> Response:
    """End an outage now (kept for the record). Audited."""
    from bot.api.inhibitions import cancel_inhibition

    if not 1 <= inhibition_id <= 2_147_483_647:
        raise HTTPException(404, detail={"code": "not_found", "message": "no such outage"})
    await cancel_inhibition(inhibition_id, request, session, principal)  # commits, with its audit row
    return back("/console/outages", msg="已结束")


@router.get("/care", response_class=HTMLResponse)
async def care_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Care pairings: volunteer, household, cadences, the next thing due and the last visit."""
    pairs = (
        await session.execute(
            select(CarePairing, CareHousehold)
            .join(CareHousehold, CareHousehold.code == CarePairing.household_code)
            .where(CarePairing.active.is_(True))
            .order_by(CarePairing.id)
            .limit(500)
        )
    ).all()
    ids = [p.id for p, _ in pairs]
    volunteers = {
        p.person_id: p.name
        for p in (
            await session.scalars(
                select(Person).where(Person.person_id.in_({p.volunteer_id for p, _ in pairs}))
            )
        ).all()
    }
    due: dict[int, Any] = {}
    for row in (
        await session.scalars(
            select(CareDue)
            .where(CareDue.pairing_id.in_(ids), CareDue.done_at.is_(None))
            .order_by(CareDue.due_at)
        )
    ).all():
        due.setdefault(row.pairing_id, row)
    last: dict[str, Any] = {}
    for visit in (
        await session.scalars(
            select(CareVisit)
            .where(CareVisit.household_code.in_([h.code for _, h in pairs]))
            .order_by(CareVisit.done_at.desc())
            .limit(2000)
        )
    ).all():
        last.setdefault(visit.household_code, visit)
    rows = [
        {
            "pairing": p,
            "household": h,
            "volunteer": volunteers.get(p.volunteer_id, p.volunteer_id),
            "due": due.get(p.id),
            "last": last.get(h.code),
        }
        for p, h in pairs
    ]
    return render(request, "care.html", rows=rows, names=CARE_NAMES, now=utcnow())
