"""Open311 GeoReport v2 read endpoints (no auth, read-only).

https://wiki.open311.org/GeoReport_v2 — ``services.json``, ``requests.json`` and ``requests/{id}.json`` with
the spec's field names. Service codes are our categories (``dispute``, ``hazard``, ``security``) and the
service subtypes (``service.repair``, ...). Privacy rules:

* dispute, security, legal and health tickets withhold ``description`` and ``address`` (only the number,
  service, state and times are public), as the group echo does;
* phone and ID numbers are always redacted from descriptions;
* the address is the building (楼栋) name, never a flat number or a person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel
from sqlalchemy import and_, or_, select

from bot.api.deps import SessionDep
from bot.redact import redact
from models.base import utcnow
from models.registry import Building, Community, Grid, Team
from models.ticket import OPEN_STATUSES, Ticket

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SERVICES: dict[str, tuple[str, str]] = {
    "dispute": ("矛盾纠纷", "邻里噪音、漏水、停车、宠物、公共空间等矛盾纠纷"),
    "hazard": ("安全隐患", "火情、燃气、电气、消防通道堵塞、楼道充电、高空坠物、电梯困人等"),
    "security": ("治安警情", "盗窃、诈骗、可疑人员、打架、走失等"),
    "service.sanitation": ("环境卫生", "垃圾清运、卫生保洁"),
    "service.health": ("医疗保健", "就医协助、健康咨询"),
    "service.legal": ("法律服务", "法律咨询"),
    "service.repair": ("家庭维修", "水电、门窗、燃气灶等家庭维修"),
    "service.assistance": ("帮扶救助", "助老助残、代办、困难帮扶"),
}
WITHHELD = frozenset({"dispute", "security", "service.legal", "service.health"})
STATUS_NOTES = {
    "new": "已受理",
    "assigned": "已分拨",
    "accepted": "已签收",
    "in_progress": "处置中",
    "resolved": "已办结",
    "closed": "已归档",
    "returned": "退单待重新分拨",
    "reopened": "重办中",
    "merged": "已并入其他工单",
    "duplicate": "重复工单",
}
OPEN = frozenset(s.value for s in OPEN_STATUSES)
MAX_PAGE = 200


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = False
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: str = ""
    group: str


class ServiceRequest(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None = None
    requested_datetime: datetime
    updated_datetime: datetime | None
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None = None
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


def service_code(ticket: Ticket) -> str:
    if ticket.category == "service" and ticket.subtype:
        return f"service.{ticket.subtype}"
    return ticket.category


def to_request(ticket: Ticket, place: dict[int, str], teams: dict[str, str]) -> ServiceRequest:
    code = service_code(ticket)
    withheld = code in WITHHELD
    notes = STATUS_NOTES.get(ticket.status, ticket.status)
    if ticket.merged_into:
        notes = f"{notes}（#{ticket.merged_into}）"
    agency = teams.get(ticket.assignee_team or "") or ("网格员" if ticket.assignee_id else None)
    return ServiceRequest(
        service_request_id=str(ticket.number),
        status="open" if ticket.status in OPEN else "closed",
        status_notes=notes,
        service_name=SERVICES.get(code, (code, ""))[0],
        service_code=code,
        description=None if withheld else redact(ticket.text),
        agency_responsible=agency,
        requested_datetime=ticket.created_at,
        updated_datetime=ticket.updated_at,
        expected_datetime=ticket.resolve_due_at,
        address=None if withheld or ticket.building_id is None else place.get(ticket.building_id),
    )


async def _lookups(session: Any) -> tuple[dict[int, str], dict[str, str]]:
    rows = await session.execute(
        select(Building.id, Building.name, Community.name)
        .join(Grid, Building.grid_id == Grid.id)
        .join(Community)
    )
    place = {bid: f"{cname}{bname}" for bid, bname, cname in rows.all()}
    teams = {t.code: t.name for t in (await session.scalars(select(Team))).all()}
    return place, teams


@router.get("/services.json", response_model=list[Service])
async def services() -> list[Service]:
    """The service list: our categories and service subtypes."""
    return [
        Service(
            service_code=code,
            service_name=name,
            description=desc,
            group="服务请求" if code.startswith("service.") else name,
        )
        for code, (name, desc) in SERVICES.items()
    ]


@router.get("/requests.json", response_model=list[ServiceRequest])
async def requests(
    session: SessionDep,
    service_code_: Annotated[
        str | None, Query(alias="service_code", max_length=200, description="comma-separated codes")
    ] = None,
    status: Annotated[str | None, Query(max_length=20, description="open, closed, or open,closed")] = None,
    start_date: Annotated[
        datetime | None, Query(description="W3C datetime, e.g. 2026-11-01T00:00:00+08:00")
    ] = None,
    end_date: Annotated[datetime | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> list[ServiceRequest]:
    """Service requests, newest first (at most ``page_size`` ≤ 200 per page; default the last 90 days as the spec says)."""
    query = select(Ticket).order_by(Ticket.number.desc())
    if service_code_:
        codes = [c.strip() for c in service_code_.split(",") if c.strip()]
        unknown = [c for c in codes if c not in SERVICES]
        if unknown:
            raise HTTPException(
                400,
                detail={"code": "unknown_service_code", "message": f"unknown service_code {unknown[0][:40]}"},
            )
        plain = [c for c in codes if not c.startswith("service.")]
        subtypes = [c.split(".", 1)[1] for c in codes if c.startswith("service.")]
        query = query.where(
            or_(Ticket.category.in_(plain), and_(Ticket.category == "service", Ticket.subtype.in_(subtypes)))
        )
    if status:
        wanted = {s.strip() for s in status.split(",") if s.strip()}
        if not wanted <= {"open", "closed"}:
            raise HTTPException(
                400, detail={"code": "bad_status", "message": "status is open, closed, or both"}
            )
        if wanted == {"open"}:
            query = query.where(Ticket.status.in_(OPEN))
        elif wanted == {"closed"}:
            query = query.where(Ticket.status.not_in(OPEN))
    for value in (start_date, end_date):
        if value is not None and value.tzinfo is None:
            raise HTTPException(400, detail={"code": "naive_datetime", "message": "dates need a UTC offset"})
    if start_date is None and end_date is None:
        start_date = utcnow() - timedelta(days=90)
    if start_date is not None:
        query = query.where(Ticket.created_at >= start_date)
    if end_date is not None:
        query = query.where(Ticket.created_at <= end_date)
    rows = (await session.scalars(query.limit(page_size).offset((page - 1) * page_size))).all()
    place, teams = await _lookups(session)
    return [to_request(t, place, teams) for t in rows]


@router.get("/requests/{request_id}.json", response_model=list[ServiceRequest])
async def request_detail(
    request_id: Annotated[int, Path(ge=1, le=2_147_483_647)], session: SessionDep
) -> list[ServiceRequest]:
    """One service request (the spec returns a one-element list)."""
    ticket = await session.get(Ticket, request_id)
    if ticket is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"no request {request_id}"})
    place, teams = await _lookups(session)
    return [to_request(ticket, place, teams)]
