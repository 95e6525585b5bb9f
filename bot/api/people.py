"""``/api/people`` and ``/api/teams``: the roster's people (residents' leaders, grid members, volunteers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from bot.api.audit import audit
from bot.api.deps import MAX_DB_INT, Admin, AnyUser, SessionDep
from bot.redact import redact
from models.auth import TokenRole
from models.registry import Grid, Person, Role, Team

router = APIRouter(prefix="/api", tags=["people"])


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    person_id: str
    name: str
    role: str
    grid_id: int | None
    team: str | None
    phone: str | None
    group_id: str | None
    on_duty: bool
    active: bool


class PersonPage(BaseModel):
    items: list[PersonRead]
    total: int
    limit: int
    offset: int


class PersonUpdate(BaseModel):
    """Fields an admin may change; omitted fields stay as they are."""

    name: Annotated[str | None, Field(max_length=100)] = None
    role: Role | None = None
    grid_id: Annotated[int | None, Field(ge=1, le=MAX_DB_INT)] = None
    team: Annotated[str | None, Field(max_length=32)] = None
    on_duty: bool | None = None
    active: bool | None = None


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    lead_id: str | None
    members: int = 0


def _snapshot(person: Person) -> dict[str, object]:
    return {k: getattr(person, k) for k in ("name", "role", "grid_id", "team", "on_duty", "active")}


@router.get("/people", response_model=PersonPage)
async def list_people(
    session: SessionDep,
    principal: AnyUser,
    q: Annotated[str | None, Query(max_length=100, description="search id or name")] = None,
    role: Role | None = None,
    grid_id: Annotated[int | None, Query(ge=1, le=MAX_DB_INT)] = None,
    team: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> PersonPage:
    """People in the roster. Phone numbers are masked except for admins."""
    query = select(Person)
    if principal.role == TokenRole.GRID_MEMBER:
        query = query.where(Person.grid_id == principal.grid_id)
    if q and q.strip():
        term = q.strip()
        query = query.where(
            or_(
                Person.person_id.icontains(term, autoescape=True),
                Person.name.icontains(term, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(Person.role == role.value)
    if grid_id is not None:
        query = query.where(Person.grid_id == grid_id)
    if team:
        query = query.where(Person.team == team)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Person.person_id).limit(limit).offset(offset))
    items = []
    for person in rows.all():
        item = PersonRead.model_validate(person)
        if principal.role != TokenRole.ADMIN and item.phone:
            item.phone = redact(item.phone)
        items.append(item)
    return PersonPage(items=items, total=int(total or 0), limit=limit, offset=offset)


@router.patch("/people/{person_id}", response_model=PersonRead)
async def update_person(
    person_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: PersonUpdate,
    request: Request,
    session: SessionDep,
    principal: Admin,
) -> PersonRead:
    """Change a person's role, grid, team, duty or active flag. Audited."""
    person = await session.get(Person, person_id)
    if person is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"no person {person_id}"})
    changes = body.model_dump(exclude_unset=True)
    if changes.get("grid_id") is not None and await session.get(Grid, changes["grid_id"]) is None:
        raise HTTPException(422, detail={"code": "unknown_grid", "message": f"no grid {changes['grid_id']}"})
    if changes.get("team") is not None and await session.get(Team, changes["team"]) is None:
        raise HTTPException(422, detail={"code": "unknown_team", "message": f"no team {changes['team']}"})
    before = _snapshot(person)
    for key, value in changes.items():
        setattr(person, key, value.value if isinstance(value, Role) else value)
    audit(
        request,
        session,
        principal,
        action="person.update",
        target=f"person:{person_id}",
        before=before,
        after=_snapshot(person),
    )
    await session.commit()
    return PersonRead.model_validate(person)


@router.get("/teams", response_model=list[TeamRead])
async def list_teams(session: SessionDep, principal: AnyUser) -> list[TeamRead]:
    """The five volunteer teams with their lead and member count."""
    members = dict(
        (
            await session.execute(
                select(Person.team, func.count()).where(Person.team.is_not(None)).group_by(Person.team)
            )
        ).all()
    )
    rows = await session.scalars(select(Team).order_by(Team.code))
    return [
        TeamRead(code=t.code, name=t.name, lead_id=t.lead_id, members=int(members.get(t.code, 0)))
        for t in rows.all()
    ]
