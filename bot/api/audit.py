"""``/api/audit``: the audit log (admins only), and :func:`audit`, the helper every mutating route uses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import Admin, Principal, SessionDep
from bot.services import audit as audit_service
from models.audit import AuditLog, AuditRead

router = APIRouter(prefix="/api/audit", tags=["audit"])


def client_ip(request: Request) -> str | None:
    """The peer address (a reverse proxy's own address unless the server trusts X-Forwarded-For)."""
    return request.client.host if request.client else None


def audit(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
) -> AuditLog:
    """Record one action by ``principal`` in the caller's unit of work."""
    return audit_service.record(
        session=session,
        actor=principal.actor_id,
        role=principal.role.value,
        action=action,
        target=target,
        before=before,
        after=after,
        ip=client_ip(request),
        via=principal.via,
    )


class AuditPage(BaseModel):
    items: list[AuditRead]
    total: int
    limit: int
    offset: int


@router.get("", response_model=AuditPage)
async def list_audit(
    session: SessionDep,
    principal: Admin,
    actor: Annotated[str | None, Query(max_length=128)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AuditPage:
    """Audit rows, newest first (who did what to what, before/after, when, from where)."""
    rows, total = await audit_service.page(
        session=session, limit=limit, offset=offset, actor=actor, action=action, target=target
    )
    return AuditPage(
        items=[AuditRead.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )
