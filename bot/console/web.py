"""Shared console plumbing: templates, the signed-in user for pages and for actions, rendering, labels."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.api.deps import Principal, SessionDep, check_csrf, session_principal
from bot.console import LoginRequired
from bot.services import auth as auth_service
from models.auth import TokenRole
from models.base import to_local

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

CATEGORY_NAMES = {
    "dispute": "矛盾纠纷",
    "hazard": "安全隐患",
    "security": "治安警情",
    "service": "服务请求",
    "none": "非工单",
}
SUBTYPE_NAMES = {
    "sanitation": "环境卫生",
    "health": "医疗保健",
    "legal": "法律服务",
    "repair": "家庭维修",
    "assistance": "帮扶救助",
}
STATUS_NAMES = {
    "new": "受理",
    "assigned": "已分拨",
    "accepted": "已签收",
    "in_progress": "处置中",
    "resolved": "已办结",
    "closed": "已归档",
    "returned": "已退回",
    "reopened": "重办",
    "merged": "已合并",
    "duplicate": "重复",
}
NOTICE_STATUS_NAMES = {
    "pending_approval": "待审批",
    "scheduled": "待发送",
    "sending": "发送中",
    "done": "已完成",
    "cancelled": "已撤回",
    "recurring": "周期发送",
}
ROLE_NAMES = {TokenRole.ADMIN: "管理员", TokenRole.GRID_MEMBER: "网格员", TokenRole.VIEWER: "只读"}
CATEGORY_COLOURS = {"dispute": "#d97706", "hazard": "#dc2626", "security": "#7c3aed", "service": "#2563eb"}


def fmt_time(value: datetime | None, pattern: str = "%m-%d %H:%M") -> str:
    """A stored UTC time in Asia/Shanghai, short."""
    return to_local(value).strftime(pattern) if value else "—"


def describe_target(target: dict[str, Any], grid_names: dict[int, str] | None = None) -> str:
    """A notice target in words: 全部楼栋群, 网格 第1网格、第2网格, 主题楼 法治楼 ..."""
    if target.get("all"):
        return "全部楼栋群"
    parts = []
    for key, name in (
        ("communities", "社区"),
        ("grids", "网格"),
        ("buildings", "楼栋"),
        ("groups", "群"),
        ("tags", "主题楼"),
    ):
        values = target.get(key) or []
        if key == "grids" and grid_names:
            values = [grid_names.get(v, v) if isinstance(v, int) else v for v in values]
        if values:
            shown = "、".join(str(v) for v in values[:5]) + (f" 等{len(values)}个" if len(values) > 5 else "")
            parts.append(f"{name} {shown}")
    return "；".join(parts) or "—"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


TEMPLATES.env.filters["local"] = fmt_time
TEMPLATES.env.filters["pct"] = pct
TEMPLATES.env.globals.update(
    CATEGORY_NAMES=CATEGORY_NAMES,
    SUBTYPE_NAMES=SUBTYPE_NAMES,
    STATUS_NAMES=STATUS_NAMES,
    NOTICE_STATUS_NAMES=NOTICE_STATUS_NAMES,
    ROLE_NAMES=ROLE_NAMES,
    CATEGORY_COLOURS=CATEGORY_COLOURS,
)


async def page_user(request: Request, session: SessionDep) -> Principal:
    """The signed-in user of a console page; no session → the login page."""
    principal = await session_principal(request, session)
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


async def action_user(request: Request, session: SessionDep) -> Principal:
    """The signed-in user of a console action: CSRF checked, viewers refused (403)."""
    principal = await page_user(request, session)
    await check_csrf(request)
    if principal.role == TokenRole.VIEWER:
        raise HTTPException(403, detail={"code": "forbidden", "message": "只读账号不能操作"})
    return principal


async def admin_action_user(
    request: Request, principal: Annotated[Principal, Depends(action_user)]
) -> Principal:
    """A console action only admins may take."""
    if principal.role != TokenRole.ADMIN:
        raise HTTPException(403, detail={"code": "forbidden", "message": "需要管理员权限"})
    return principal


PageUser = Annotated[Principal, Depends(page_user)]
ActionUser = Annotated[Principal, Depends(action_user)]
AdminActionUser = Annotated[Principal, Depends(admin_action_user)]


def csrf_for(request: Request) -> str:
    console_session = getattr(request.state, "console_session", None)
    if console_session is None:
        return ""
    return auth_service.csrf_token(request.app.state.settings, console_session)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a console template with the user, CSRF token and flash message filled in."""
    principal: Principal | None = getattr(request.state, "principal", None)
    context.update(
        user=principal,
        can_act=principal is not None and principal.role != TokenRole.VIEWER,
        is_admin=principal is not None and principal.role == TokenRole.ADMIN,
        csrf=csrf_for(request),
        flash=request.query_params.get("msg", "")[:200],
        flash_error=request.query_params.get("err", "")[:300],
        path=request.url.path,
    )
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def back(url: str, *, msg: str = "", err: str = "") -> RedirectResponse:
    """Redirect after a POST (303), with a flash message."""
    sep = "&" if "?" in url else "?"
    if msg:
        url += f"{sep}msg={quote(msg)}"
    elif err:
        url += f"{sep}err={quote(err)}"
    return RedirectResponse(url, status_code=303)


def error_message(exc: HTTPException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        return str(detail.get("message") or detail.get("code"))
    return str(detail)
