"""Dependencies shared by the routes: sessions, settings, and the authenticated principal."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from models.auth import ApiToken, TokenRole
from models.base import utcnow


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A request-scoped session; the route (the unit of work) commits what it changes."""
    async with request.app.state.db.session() as session:
        yield session


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return "wg_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's id, name, role and (for grid members) their grid."""

    token_id: int
    name: str
    role: TokenRole
    grid_id: int | None = None
    person_id: str | None = None

    @property
    def actor_id(self) -> str:
        return self.person_id or f"token:{self.token_id}:{self.name}"


bearer = HTTPBearer(auto_error=False, description="An API token from `weigrid token create`.")


async def lookup_token(session: AsyncSession, token: str) -> ApiToken | None:
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    return row


def to_principal(row: ApiToken) -> Principal:
    return Principal(
        token_id=row.id, name=row.name, role=TokenRole(row.role), grid_id=row.grid_id, person_id=row.person_id
    )


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller behind a bearer token (or a console session, when the console set one). 401 otherwise."""
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):
        return principal
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, detail={"code": "unauthorized", "message": "a bearer token is required"})
    row = await lookup_token(session, credentials.credentials)
    if row is None:
        raise HTTPException(401, detail={"code": "unauthorized", "message": "unknown or revoked token"})
    return to_principal(row)


def require_role(*roles: TokenRole) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that admits only the given roles (403 for the others)."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise HTTPException(403, detail={"code": "forbidden", "message": f"needs role {'/'.join(roles)}"})
        return principal

    return dependency


AnyUser = Annotated[Principal, Depends(current_principal)]
Staff = Annotated[Principal, Depends(require_role(TokenRole.ADMIN, TokenRole.GRID_MEMBER))]
Admin = Annotated[Principal, Depends(require_role(TokenRole.ADMIN))]


async def create_token(
    *,
    session: AsyncSession,
    role: TokenRole,
    name: str,
    grid_id: int | None = None,
    person_id: str | None = None,
) -> str:
    """Create a token and return it in clear (the only time it is visible). The caller commits."""
    token = new_token()
    session.add(
        ApiToken(
            name=name,
            role=role.value,
            token_hash=hash_token(token),
            grid_id=grid_id,
            person_id=person_id,
            created_at=utcnow(),
        )
    )
    return token
