"""``/api/groups``, ``/api/grids`` and ``/api/roster/import``: the registry of building groups.

Unknown groups (``registered == False``: a message came from a chat not in the registry) wait here for
an admin to adopt them into a building; adoption goes through the roster import service, exactly like a
CSV row, and re-queues the messages held for that group.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.audit import audit
from bot.api.deps import MAX_DB_INT, Admin, AnyUser, Principal, SessionDep
from bot.services import roster
from models.auth import TokenRole
from models.inbox import InboxMessage, InboxStatus
from models.registry import Building, Community, Grid, Group

router = APIRouter(prefix="/api", tags=["groups"])

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
GroupIdPath = Annotated[str, Path(min_length=1, max_length=128)]


class GroupRead(BaseModel):
    group_id: str
    name: str
    channel: str
    registered: bool
    tags: list[str]
    building_id: int | None
    building: str | None
    grid_id: int | None
    grid: str | None
    community: str | None
    leader_id: str | None
    grid_member_id: str | None
    last_activity_at: datetime | None
    created_at: datetime
    held_messages: int = 0


class GroupPage(BaseModel):
    items: list[GroupRead]
    total: int
    limit: int
    offset: int


class GridRead(BaseModel):
    id: int
    name: str
    community_id: int
    community: str
    groups: int


class AdoptIn(BaseModel):
    """Where an unknown group belongs. Missing community/grid/building rows are created, as a roster import would."""

    community: Annotated[str, Field(min_length=1, max_length=100)]
    grid: Annotated[str, Field(min_length=1, max_length=100)]
    building: Annotated[str, Field(min_length=1, max_length=100)]
    name: Annotated[str | None, Field(max_length=200)] = None
    leader_id: Annotated[str | None, Field(max_length=64)] = None
    grid_member_id: Annotated[str | None, Field(max_length=64)] = None
    tags: list[Annotated[str, Field(max_length=50)]] = Field(default_factory=list, max_length=20)


class AdoptOut(BaseModel):
    group: GroupRead
    released: int = Field(description="held messages put back in the queue")


class ImportOut(BaseModel):
    groups: int
    people: int
    created: int
    updated: int
    released: int


def group_query(principal: Principal) -> Any:
    query = (
        select(Group, Building, Grid, Community)
        .outerjoin(Building, Group.building_id == Building.id)
        .outerjoin(Grid, Building.grid_id == Grid.id)
        .outerjoin(Community, Grid.community_id == Community.id)
    )
    if principal.role == TokenRole.GRID_MEMBER:
        query = query.where(Building.grid_id == principal.grid_id)
    return query


def to_read(row: Any, held: int = 0) -> GroupRead:
    group, building, grid, community = row
    return GroupRead(
        group_id=group.group_id,
        name=group.name,
        channel=group.channel,
        registered=bool(group.registered),
        tags=list(group.tags or []),
        building_id=building.id if building else None,
        building=building.name if building else None,
        grid_id=grid.id if grid else None,
        grid=grid.name if grid else None,
        community=community.name if community else None,
        leader_id=group.leader_id,
        grid_member_id=group.grid_member_id,
        last_activity_at=group.last_activity_at,
        created_at=group.created_at,
        held_messages=held,
    )


async def held_counts(session: AsyncSession, group_ids: list[str]) -> dict[str, int]:
    if not group_ids:
        return {}
    rows = await session.execute(
        select(InboxMessage.group_id, func.count())
        .where(InboxMessage.group_id.in_(group_ids), InboxMessage.status == InboxStatus.HELD.value)
        .group_by(InboxMessage.group_id)
    )
    return {str(gid): int(n) for gid, n in rows.all()}


async def search_groups(
    session: AsyncSession,
    principal: Principal,
    *,
    q: str | None = None,
    registered: bool | None = None,
    grid_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> GroupPage:
    """Groups matching a search, most recently active first (shared with the console)."""
    query = group_query(principal)
    if registered is not None:
        query = query.where(Group.registered.is_(registered))
    if grid_id is not None:
        query = query.where(Building.grid_id == grid_id)
    if q and q.strip():
        term = q.strip()
        query = query.where(
            or_(
                Group.name.icontains(term, autoescape=True),
                Group.group_id.icontains(term, autoescape=True),
                Building.name.icontains(term, autoescape=True),
                Grid.name.icontains(term, autoescape=True),
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = (
        await session.execute(
            query.order_by(Group.last_activity_at.desc().nulls_last(), Group.group_id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    held = await held_counts(session, [r[0].group_id for r in rows if not r[0].registered])
    items = [to_read(r, held.get(r[0].group_id, 0)) for r in rows]
    return GroupPage(items=items, total=int(total or 0), limit=limit, offset=offset)


@router.get("/groups", response_model=GroupPage)
async def list_groups(
    session: SessionDep,
    principal: AnyUser,
    q: Annotated[
        str | None, Query(max_length=100, description="search name, chat id, building, grid")
    ] = None,
    registered: Annotated[
        bool | None, Query(description="false: unknown groups waiting to be adopted")
    ] = None,
    grid_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> GroupPage:
    """Building groups with their place in the registry and last activity, most recently active first."""
    return await search_groups(
        session, principal, q=q, registered=registered, grid_id=grid_id, limit=limit, offset=offset
    )


@router.get("/groups/unknown", response_model=GroupPage)
async def unknown_groups(
    session: SessionDep,
    principal: AnyUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> GroupPage:
    """Chats that sent messages but are not in the registry, with how many messages wait for them."""
    if principal.role == TokenRole.GRID_MEMBER:
        raise HTTPException(403, detail={"code": "forbidden", "message": "unknown groups are for admins"})
    return await search_groups(session, principal, registered=False, limit=limit, offset=offset)


@router.get("/grids", response_model=list[GridRead])
async def list_grids(session: SessionDep, principal: AnyUser) -> list[GridRead]:
    """Every grid with its community and number of registered groups (for pickers and filters)."""
    counts = dict(
        (
            await session.execute(
                select(Building.grid_id, func.count(Group.group_id))
                .join(Group, Group.building_id == Building.id)
                .where(Group.registered.is_(True))
                .group_by(Building.grid_id)
            )
        ).all()
    )
    rows = await session.execute(select(Grid, Community).join(Community).order_by(Community.name, Grid.id))
    return [
        GridRead(id=g.id, name=g.name, community_id=c.id, community=c.name, groups=int(counts.get(g.id, 0)))
        for g, c in rows.all()
        if principal.role != TokenRole.GRID_MEMBER or g.id == principal.grid_id
    ]


async def adopt_group(session: AsyncSession, group: Group, body: AdoptIn) -> int:
    """Place a group in the registry through the roster service; returns how many held messages were released."""
    row = roster.GroupRow(
        line="adopt",
        group_id=group.group_id,
        name=body.name or group.name,
        channel=group.channel,
        community=body.community.strip(),
        grid=body.grid.strip(),
        building=body.building.strip(),
        leader_id=body.leader_id or None,
        grid_member_id=body.grid_member_id or None,
        robot_key=group.robot_key,
        tags=[t for t in body.tags if t.strip()],
    )
    report = await roster.apply(session=session, roster=roster.Roster(groups=[row]))
    return report.released


@router.post("/groups/{group_id}/adopt", response_model=AdoptOut)
async def adopt(
    group_id: GroupIdPath, body: AdoptIn, request: Request, session: SessionDep, principal: Admin
) -> AdoptOut:
    """Adopt an unknown group into a building; its held messages are queued again. Audited."""
    group = await session.get(Group, group_id)
    if group is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"no group {group_id}"})
    if group.registered:
        raise HTTPException(
            409, detail={"code": "already_registered", "message": "the group is already registered"}
        )
    released = await adopt_group(session, group, body)
    audit(
        request,
        session,
        principal,
        action="group.adopt",
        target=f"group:{group_id}",
        before={"registered": False},
        after={**body.model_dump(), "released": released},
    )
    await session.commit()
    request.app.state.inbox_wakeup.set()
    row = (await session.execute(group_query(principal).where(Group.group_id == group_id))).one()
    return AdoptOut(group=to_read(row), released=released)


async def import_files(session: AsyncSession, sources: list[tuple[str, bytes]]) -> roster.ImportReport:
    """Parse and apply roster files all-or-nothing; RosterError (per-line errors) leaves nothing written."""
    parsed = roster.parse(sources)
    try:
        return await roster.apply(session=session, roster=parsed)
    except roster.RosterError:
        await session.rollback()
        raise


@router.post(
    "/roster/import",
    response_model=ImportOut,
    responses={
        422: {"description": "per-line errors (`error.errors`: ['file:line: message', ...]); nothing written"}
    },
)
async def import_roster(
    files: list[UploadFile], request: Request, session: SessionDep, principal: Admin
) -> Any:
    """Import groups and/or people CSV (UTF-8, BOM, GBK) or .xlsx files: upsert, all-or-nothing. Audited."""
    sources: list[tuple[str, bytes]] = []
    for upload in files[:10]:
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(
                413, detail={"code": "too_large", "message": f"{upload.filename} is over 5 MiB"}
            )
        sources.append(((upload.filename or "upload.csv")[:100], data))
    if not sources:
        raise HTTPException(422, detail={"code": "no_files", "message": "upload at least one file"})
    try:
        report = await import_files(session, sources)
    except roster.RosterError as exc:
        from fastapi.responses import JSONResponse

        from bot.app import error_body

        return JSONResponse(
            error_body(
                "roster_invalid", f"{len(exc.errors)} error(s); nothing was written", errors=exc.errors[:500]
            ),
            status_code=422,
        )
    audit(
        request,
        session,
        principal,
        action="roster.import",
        target="roster",
        after={"files": [name for name, _ in sources], **report.__dict__},
    )
    await session.commit()
    request.app.state.inbox_wakeup.set()
    return ImportOut(**report.__dict__)
