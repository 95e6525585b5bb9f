"""Groups (search, activity, unknown groups to adopt), roster import with per-line errors, and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from bot.api import groups as group_api
from bot.api.audit import audit
from bot.api.deps import SessionDep
from bot.console.web import AdminActionUser, PageUser, back, render
from bot.services import audit as audit_service
from bot.services import roster
from models.auth import TokenRole
from models.registry import Group

router = APIRouter()


@router.get("/groups", response_class=HTMLResponse)
async def groups_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Registered groups (search, last activity) and, for admins, unknown groups waiting to be adopted."""
    size = 50
    found = await group_api.search_groups(
        session, principal, q=q or None, registered=True, limit=size, offset=(page - 1) * size
    )
    unknown = None
    if principal.role != TokenRole.GRID_MEMBER:
        unknown = await group_api.search_groups(session, principal, registered=False, limit=100)
    return render(
        request,
        "groups.html",
        groups=found,
        unknown=unknown,
        q=q,
        page=page,
        pages=max(1, -(-found.total // size)),
    )


@router.post("/groups/{group_id}/adopt")
async def adopt(
    group_id: str,
    request: Request,
    session: SessionDep,
    principal: AdminActionUser,
    community: Annotated[str, Form(max_length=100)] = "",
    grid: Annotated[str, Form(max_length=100)] = "",
    building: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Adopt an unknown group into a building; its held messages are processed. Audited."""
    group = await session.get(Group, group_id[:128])
    if group is None or group.registered:
        return back("/console/groups", err="该群不存在或已登记")
    try:
        body = group_api.AdoptIn(community=community, grid=grid, building=building, name=name or None)
    except ValidationError:
        return back("/console/groups", err="请填写社区、网格和楼栋")
    released = await group_api.adopt_group(session, group, body)
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
    return back("/console/groups", msg=f"已登记 {body.building}，{released} 条暂存消息重新处理")


@router.get("/roster", response_class=HTMLResponse)
async def roster_page(request: Request, principal: PageUser) -> Response:
    return render(request, "roster.html", errors=None, report=None)


@router.post("/roster", response_class=HTMLResponse)
async def roster_upload(
    request: Request, session: SessionDep, principal: AdminActionUser, files: list[UploadFile]
) -> Response:
    """Import roster files: all-or-nothing; per-line errors are listed and nothing is written."""
    sources: list[tuple[str, bytes]] = []
    for upload in files[:10]:
        data = await upload.read(group_api.MAX_UPLOAD_BYTES + 1)
        if len(data) > group_api.MAX_UPLOAD_BYTES:
            return render(
                request,
                "roster.html",
                status_code=413,
                errors=[f"{upload.filename}: 超过 5 MiB"],
                report=None,
            )
        if data:
            sources.append(((upload.filename or "upload.csv")[:100], data))
    if not sources:
        return render(request, "roster.html", status_code=422, errors=["请选择至少一个文件"], report=None)
    try:
        report = await group_api.import_files(session, sources)
    except roster.RosterError as exc:
        return render(request, "roster.html", status_code=422, errors=exc.errors[:500], report=None)
    audit(
        request,
        session,
        principal,
        action="roster.import",
        target="roster",
        after={"files": [n for n, _ in sources], **report.__dict__},
    )
    await session.commit()
    request.app.state.inbox_wakeup.set()
    return render(request, "roster.html", errors=None, report=report)


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The audit log (admins)."""
    if principal.role != TokenRole.ADMIN:
        raise HTTPException(403, detail={"code": "forbidden", "message": "需要管理员权限"})
    size = 50
    rows, total = await audit_service.page(session=session, limit=size, offset=(page - 1) * size)
    return render(request, "audit.html", rows=rows, total=total, page=page, pages=max(1, -(-total // size)))
