"""``/api/inhibitions``: admins declare outages and planned work (停水, 停电, 电梯维保, 燃气检修).

While one is in force, matching reports in its scope get its notice instead of a ticket. Deleting an
inhibition cancels it (it stays listed, with its hits, for the record).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select

from bot.api.audit import audit
from bot.api.deps import Admin, SessionDep
from bot.services.inhibition import DEFAULT_KEYWORDS
from models.base import utcnow
from models.inhibition import Inhibition, InhibitionKind, InhibitionRead, ScopeKind

router = APIRouter(prefix="/api/inhibitions", tags=["inhibitions"])

CATEGORIES = ("dispute", "hazard", "security", "service")


class InhibitionCreate(BaseModel):
    """A new inhibition. Times need a UTC offset; ``keywords`` default to the kind's own."""

    kind: InhibitionKind
    scope_kind: ScopeKind
    scope_ids: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=2000
    )
    categories: list[str] = Field(default_factory=list, max_length=4)
    keywords: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(
        default_factory=list, max_length=50
    )
    starts_at: datetime
    ends_at: datetime
    notice: str = Field(min_length=1, max_length=500)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if c not in CATEGORIES]
        if bad:
            raise ValueError(f"unknown categories {bad}; use {', '.join(CATEGORIES)}")
        return value

    @model_validator(mode="after")
    def _check(self) -> InhibitionCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("starts_at and ends_at need a UTC offset")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.scope_kind != ScopeKind.ALL and not self.scope_ids:
            raise ValueError("scope_ids is required unless scope_kind is 'all'")
        if self.scope_kind in (ScopeKind.BUILDINGS, ScopeKind.GRIDS) and not all(
            s.strip().isdigit() for s in self.scope_ids
        ):
            raise ValueError("building and grid scope_ids are numeric ids")
        if self.kind == InhibitionKind.OTHER and not (self.keywords or self.categories):
            raise ValueError("kind 'other' needs keywords or categories")
        return self


class InhibitionPage(BaseModel):
    items: list[InhibitionRead]
    total: int


@router.get("", response_model=InhibitionPage)
async def list_inhibitions(
    session: SessionDep,
    principal: Admin,
    active: Annotated[bool | None, Query(description="only those in force now (true) or not (false)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> InhibitionPage:
    """Inhibitions, newest first."""
    rows = list((await session.scalars(select(Inhibition).order_by(Inhibition.id.desc()))).all())
    if active is not None:
        now = utcnow()
        rows = [r for r in rows if (r.cancelled_at is None and r.starts_at <= now < r.ends_at) == active]
    items = [InhibitionRead.model_validate(r) for r in rows[:limit]]
    return InhibitionPage(items=items, total=len(rows))


@router.post("", response_model=InhibitionRead, status_code=201)
async def create_inhibition(
    body: InhibitionCreate, request: Request, session: SessionDep, principal: Admin
) -> InhibitionRead:
    """Declare an outage or planned work."""
    row = Inhibition(
        kind=body.kind.value,
        scope_kind=body.scope_kind.value,
        scope_ids=[s.strip() for s in body.scope_ids],
        categories=body.categories,
        keywords=[k.strip() for k in body.keywords] or list(DEFAULT_KEYWORDS.get(body.kind, ())),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        notice=body.notice.strip(),
        created_by=principal.actor_id,
        created_at=utcnow(),
        hits=0,
    )
    session.add(row)
    await session.flush()
    audit(
        request,
        session,
        principal,
        action="inhibition.create",
        target=f"inhibition:{row.id}",
        after=body.model_dump(mode="json"),
    )
    await session.commit()
    await session.refresh(row)
    return InhibitionRead.model_validate(row)


@router.delete("/{inhibition_id}", status_code=204, response_class=Response)
async def cancel_inhibition(
    inhibition_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    session: SessionDep,
    principal: Admin,
) -> Response:
    """Cancel an inhibition now (kept for the record)."""
    row = await session.get(Inhibition, inhibition_id)
    if row is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"no inhibition {inhibition_id}"})
    if row.cancelled_at is None:
        row.cancelled_at = utcnow()
        audit(request, session, principal, action="inhibition.cancel", target=f"inhibition:{inhibition_id}")
        await session.commit()
    return Response(status_code=204)
