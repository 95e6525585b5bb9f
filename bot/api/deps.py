"""Dependencies shared by the routes: sessions, settings, and the authenticated principal.

A caller is authenticated by a bearer token (``Authorization: Bearer wg_...``) or by the console's
session cookie. The cookie path enforces CSRF on every unsafe method (POST, PUT, PATCH, DELETE): the
request must carry the session's CSRF token in the ``X-CSRF-Token`` header or a ``csrf_token`` form field.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import auth as auth_service
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

#: The largest id a path or query parameter may carry (a 32-bit INTEGER column on PostgreSQL).
MAX_DB_INT = 2_147_483_647
#: A positive database id in a path, bounded so that bad input is a 422, never a database overflow.
IdPath = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
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
    via: str = "api"  # "api" (bearer token) or "console" (session cookie)

    @property
    def actor_id(self) -> str:
        return self.person_id or f"token:{self.token_id}:{self.name}"


bearer = HTTPBearer(auto_error=False, description="An API token from `weigrid token create`.")


async def lookup_token(session: AsyncSession, token: str) -> ApiToken | None:
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    return row


def to_principal(row: ApiToken, via: str = "api") -> Principal:
    return Principal(
        token_id=row.id,
        name=row.name,
        role=TokenRole(row.role),
        grid_id=row.grid_id,
        person_id=row.person_id,
        via=via,
    )


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def session_principal(request: Request, session: AsyncSession) -> Principal | None:
    """The principal behind a valid console session cookie (token still live), else None. No CSRF check."""
    settings: Settings = request.app.state.settings
    console_session = auth_service.read_session(settings, request.cookies.get(auth_service.COOKIE_NAME))
    if console_session is None:
        return None
    row = await session.get(ApiToken, console_session.token_id)
    if row is None or row.revoked_at is not None:
        return None
    request.state.console_session = console_session
    return to_principal(row, via="console")


async def check_csrf(request: Request) -> None:
    """Refuse (403) an unsafe cookie-authenticated request without this session's CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    settings: Settings = request.app.state.settings
    console_session = getattr(request.state, "console_session", None)
    given = request.headers.get(auth_service.CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(auth_service.CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if console_session is None or not auth_service.csrf_ok(settings, console_session, given):
        raise HTTPException(403, detail={"code": "csrf", "message": "missing or wrong CSRF token"})


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller behind a bearer token, or behind the console session cookie (with CSRF checked on
    unsafe methods). 401 otherwise."""
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):
        return principal
    if credentials is not None and credentials.scheme.lower() == "bearer":
        row = await lookup_token(session, credentials.credentials)
        if row is None:
            raise HTTPException(401, detail={"code": "unauthorized", "message": "unknown or revoked token"})
        principal = to_principal(row)
    else:
        principal = await session_principal(request, session)
        if principal is None:
            raise HTTPException(
                401,
                detail={"code": "unauthorized", "message": "a bearer token or a console session is required"},
            )
        await check_csrf(request)
    request.state.principal = principal
    return principal


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
