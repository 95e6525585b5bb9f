"""Notices: compose (target picker, preview), schedule, approve, cancel, and a live progress bar.

Everything goes through the notices service (``bot.services.notice``), the same code as ``/api/notices``
and ``weigrid notice``; the console adds the audit rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from bot.api.audit import audit
from bot.api.deps import SessionDep
from bot.console.web import AdminActionUser, PageUser, back, describe_target, render
from models.base import LOCAL_TZ, utcnow
from models.registry import Community, Grid, Group

router = APIRouter()

TARGET_KINDS = {"all": "全部楼栋群", "grids": "按网格", "tags": "按主题楼", "groups": "指定群"}


def service() -> Any:
    from bot.services import notice

    return notice


async def picker(session: Any) -> dict[str, Any]:
    """What the target picker offers: grids (with community) and the tags in use."""
    grids = (await session.execute(select(Grid, Community).join(Community).order_by(Grid.id))).all()
    tags: set[str] = set()
    for group_tags in (await session.scalars(select(Group.tags).where(Group.registered.is_(True)))).all():
        tags.update(group_tags or [])
    return {"grids": [(g.id, f"{c.name}·{g.name}") for g, c in grids], "tags": sorted(tags)}


def build_target(kind: str, grids: list[str], tags: list[str], groups: str) -> dict[str, Any]:
    if kind == "all":
        return {"all": True}
    if kind == "grids":
        return {"grids": [int(g) for g in grids if g.isdigit() and len(g) < 10]}
    if kind == "tags":
        return {"tags": [t for t in tags if t][:100]}
    ids = [g.strip() for g in groups.replace("，", ",").replace("\n", ",").split(",") if g.strip()]
    return {"groups": ids[:5000]}


def parse_send_at(value: str) -> datetime | None:
    """A ``datetime-local`` field, read in Asia/Shanghai."""
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise HTTPException(422, detail={"code": "bad_time", "message": "发送时间格式不对"}) from None


@router.get("/notices", response_class=HTMLResponse)
async def notices_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Recent notices with their progress, and (for admins) the compose form."""
    notice = service()
    rows, total = await notice.list_notices(session=session, limit=30)
    counts = await notice.counts(session=session, notice_ids=[n.id for n in rows])
    return render(
        request,
        "notices.html",
        notices=rows,
        counts=counts,
        total=total,
        picker=await picker(session),
        kinds=TARGET_KINDS,
    )


@router.post("/notices/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    session: SessionDep,
    principal: AdminActionUser,
    title: Annotated[str, Form(max_length=200)] = "",
    body: Annotated[str, Form(max_length=8000)] = "",
    kind: Annotated[str, Form(max_length=10)] = "all",
    grids: Annotated[list[str] | None, Form()] = None,
    tags: Annotated[list[str] | None, Form()] = None,
    groups: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    """An htmx fragment: how many groups the target selects, and the text the first of them will get."""
    notice = service()
    from models.notice import NoticeTarget

    try:
        target = NoticeTarget.model_validate(build_target(kind, grids or [], tags or [], groups))
        notice.check_template(body)
    except (ValidationError, notice.NoticeError) as exc:
        return render(request, "notice_preview.html", error=str(getattr(exc, "message", "目标或模板有误")))
    found = [] if target.is_empty() else await notice.resolve_groups(session=session, target=target)
    sample = notice.notice_text(title, notice.render(body, found[0]["fields"])) if found else ""
    cfg = notice.NoticeConfig.from_settings(request.app.state.settings)
    quiet = notice.in_quiet_hours(cfg, utcnow(), LOCAL_TZ)
    return render(
        request,
        "notice_preview.html",
        quiet=quiet,
        count=len(found),
        sample=sample,
        first=found[0]["group"].name if found else "",
        error=None,
    )


@router.post("/notices")
async def create(
    request: Request,
    session: SessionDep,
    principal: AdminActionUser,
    title: Annotated[str, Form(max_length=200)] = "",
    body: Annotated[str, Form(max_length=8000)] = "",
    kind: Annotated[str, Form(max_length=10)] = "all",
    grids: Annotated[list[str] | None, Form()] = None,
    tags: Annotated[list[str] | None, Form()] = None,
    groups: Annotated[str, Form(max_length=200_000)] = "",
    send_at: Annotated[str, Form(max_length=40)] = "",
    cron: Annotated[str, Form(max_length=100)] = "",
    urgent: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Create (and, when due, send) a notice; then show its progress page. Audited."""
    notice = service()
    from models.notice import NoticeCreate

    try:
        data = NoticeCreate.model_validate(
            {
                "title": title.strip(),
                "body": body.strip(),
                "target": build_target(kind, grids or [], tags or [], groups),
                "send_at": parse_send_at(send_at),
                "cron": cron.strip() or None,
                "urgent": urgent == "1",
            }
        )
        created = await notice.create_notice(
            session=session, settings=request.app.state.settings, data=data, author_id=principal.actor_id
        )
    except ValidationError:
        return back("/console/notices", err="请填写标题、正文，并选择发送对象")
    except HTTPException as exc:
        return back("/console/notices", err=str(exc.detail))
    except notice.NoticeError as exc:
        return back("/console/notices", err=exc.message)
    audit(
        request,
        session,
        principal,
        action="notice.create",
        target=f"notice:{created.id}",
        after={
            "title": created.title,
            "target": created.target,
            "status": created.status,
            "total": created.total,
        },
    )
    await session.commit()
    request.app.state.outbox_wakeup.set()
    return back(f"/console/notices/{created.id}", msg="通知已创建")


async def _load(session: Any, notice_id: int) -> Any:
    if not 1 <= notice_id <= 2_147_483_647:
        raise HTTPException(404, detail={"code": "not_found", "message": "no such notice"})
    notice = service()
    try:
        return await notice.get_notice(session=session, notice_id=notice_id)
    except notice.NoticeError as exc:
        raise HTTPException(exc.status, detail={"code": exc.code, "message": exc.message}) from None


@router.get("/notices/{notice_id}", response_class=HTMLResponse)
async def notice_page(notice_id: int, request: Request, session: SessionDep, principal: PageUser) -> Response:
    """A notice with its live progress bar and the failed receipts."""
    row = await _load(session, notice_id)
    notice = service()
    progress = await notice.progress(session=session, notice=row)
    failed = await notice.receipts(session=session, notice_id=row.id, status="failed", limit=100)
    grid_names = {g.id: g.name for g in (await session.scalars(select(Grid))).all()}
    return render(
        request,
        "notice.html",
        n=row,
        p=progress,
        failed=failed,
        target=describe_target(row.target, grid_names),
    )


@router.get("/notices/{notice_id}/progress", response_class=HTMLResponse)
async def progress_fragment(
    notice_id: int, request: Request, session: SessionDep, principal: PageUser
) -> Response:
    """The progress bar alone (htmx polls it every second until the notice settles)."""
    row = await _load(session, notice_id)
    progress = await service().progress(session=session, notice=row)
    return render(request, "notice_progress.html", n=row, p=progress)


@router.post("/notices/{notice_id}/{verb}")
async def notice_action(
    notice_id: int,
    verb: str,
    request: Request,
    session: SessionDep,
    principal: AdminActionUser,
) -> Response:
    """Approve (a second admin) or cancel (unsent rows stop). Audited."""
    if verb not in ("approve", "cancel"):
        raise HTTPException(404, detail={"code": "not_found", "message": "unknown action"})
    row = await _load(session, notice_id)
    notice = service()
    before = {"status": row.status}
    try:
        if verb == "approve":
            row = await notice.approve(
                session=session,
                settings=request.app.state.settings,
                notice_id=row.id,
                approver_id=principal.actor_id,
            )
        else:
            row = await notice.cancel(session=session, notice_id=row.id, actor_id=principal.actor_id)
    except notice.NoticeError as exc:
        return back(f"/console/notices/{notice_id}", err=exc.message)
    audit(
        request, session, principal, action=f"notice.{verb}", target=f"notice:{notice_id}", before=before,
        after={"status": row.status},
    )  # fmt: skip
    await session.commit()
    request.app.state.outbox_wakeup.set()
    return back(f"/console/notices/{notice_id}", msg="已批准" if verb == "approve" else "已撤回未发送部分")
