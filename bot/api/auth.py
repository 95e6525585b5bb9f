"""``/api/auth``: who am I, and API token management (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.api.audit import audit
from bot.api.deps import Admin, AnyUser, SessionDep, create_token
from models.auth import ApiToken, TokenRole
from models.base import utcnow
from models.registry import Grid

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Me(BaseModel):
    token_id: int
    name: str
    role: TokenRole
    grid_id: int | None
    person_id: str | None
    via: str


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str
    grid_id: int | None
    person_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class TokenCreate(BaseModel):
    role: TokenRole
    name: Annotated[str, Field(min_length=1, max_length=100)]
    grid_id: Annotated[int | None, Field(ge=1, le=2_147_483_647)] = None
    person_id: Annotated[str | None, Field(max_length=64)] = None


class TokenCreated(TokenRead):
    token: str = Field(description="The token in clear: shown once, only its hash is stored.")


@router.get("/me", response_model=Me)
async def me(principal: AnyUser) -> Me:
    """The caller: token, role, grid scope, and whether it came by bearer token or console session."""
    return Me(**principal.__dict__)


@router.get("/tokens", response_model=list[TokenRead])
async def list_tokens(session: SessionDep, principal: Admin) -> list[TokenRead]:
    """Every API token (hashes are never shown)."""
    rows = await session.scalars(select(ApiToken).order_by(ApiToken.id))
    return [TokenRead.model_validate(r) for r in rows.all()]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
async def new_token(
    body: TokenCreate, request: Request, session: SessionDep, principal: Admin
) -> TokenCreated:
    """Create a token; grid members need a ``grid_id``."""
    if body.role == TokenRole.GRID_MEMBER and body.grid_id is None:
        raise HTTPException(
            422, detail={"code": "grid_required", "message": "a grid_member token needs a grid_id"}
        )
    if body.grid_id is not None and await session.get(Grid, body.grid_id) is None:
        raise HTTPException(422, detail={"code": "unknown_grid", "message": f"no grid {body.grid_id}"})
    token = await create_token(
        session=session, role=body.role, name=body.name, grid_id=body.grid_id, person_id=body.person_id
    )
    await session.flush()
    row = await session.scalar(select(ApiToken).order_by(ApiToken.id.desc()).limit(1))
    assert row is not None
    audit(
        request,
        session,
        principal,
        action="token.create",
        target=f"token:{row.id}",
        after=body.model_dump(mode="json"),
    )
    await session.commit()
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=token)


@router.post("/tokens/{token_id}/revoke", response_model=TokenRead)
async def revoke_token(token_id: int, request: Request, session: SessionDep, principal: Admin) -> TokenRead:
    """Revoke a token: its API access and every console session made with it end at once."""
    row = await session.get(ApiToken, token_id)
    if row is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"no token {token_id}"})
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit(
            request,
            session,
            principal,
            action="token.revoke",
            target=f"token:{row.id}",
            before={"revoked": False},
            after={"revoked": True},
        )
        await session.commit()
    return TokenRead.model_validate(row)
