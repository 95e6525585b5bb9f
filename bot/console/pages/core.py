"""Login, logout and the dashboard."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.api.audit import audit
from bot.api.deps import SessionDep, check_csrf, lookup_token, session_principal, to_principal
from bot.api.stats import collect, resolve_scope
from bot.console import charts
from bot.console.web import CATEGORY_COLOURS, CATEGORY_NAMES, PageUser, render
from bot.services import audit as audit_service
from bot.services import auth as auth_service
from models.base import to_local

logger = logging.getLogger(__name__)
router = APIRouter()


def limiter(request: Request) -> auth_service.LoginLimiter:
    """The app's login limiter (created on first use, sized from the console config)."""
    existing = getattr(request.app.state, "login_limiter", None)
    if existing is None:
        config = auth_service.console_config(request.app.state.settings)
        existing = request.app.state.login_limiter = auth_service.LoginLimiter(
            per_minute=config.login_attempts_per_minute
        )
    return existing


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    return render(request, "login.html")


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, session: SessionDep, token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Sign in with an API token; success sets the HttpOnly, SameSite=Strict session cookie."""
    ip = request.client.host if request.client else None
    keys = auth_service.limiter_keys(ip, token)
    wait = limiter(request).retry_after(keys)
    if wait:
        logger.warning("console login rate-limited from %s", ip)
        return render(request, "login.html", status_code=429, error=f"尝试过于频繁，请 {wait} 秒后再试。")
    limiter(request).hit(keys)
    row = await lookup_token(session, token.strip()) if token.strip() else None
    if row is None:
        audit_service.record(
            session=session,
            actor="anonymous",
            role="",
            action="login.failed",
            target="console",
            ip=ip,
            via="console",
        )
        await session.commit()
        return render(request, "login.html", status_code=401, error="令牌无效或已撤销。")
    principal = to_principal(row, via="console")
    audit(request, session, principal, action="login", target="console")
    await session.commit()
    settings = request.app.state.settings
    value, _ = auth_service.make_session(settings, token_id=row.id)
    config = auth_service.console_config(settings)
    secure = config.secure_cookie
    if secure is None:
        secure = settings.server.public_url.startswith("https://")
    response = RedirectResponse("/console/", status_code=303)
    response.set_cookie(
        auth_service.COOKIE_NAME,
        value,
        max_age=int(config.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep) -> Response:
    """End the session (CSRF-checked, any role)."""
    if await session_principal(request, session) is not None:
        await check_csrf(request)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(auth_service.COOKIE_NAME, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
) -> Response:
    """This month's (or the chosen period's) figures, chart, SLA status and per-grid table."""
    scope = resolve_scope(principal, from_, to, None, None)
    stats = await collect(session, request, scope)
    period = stats.period
    chart = charts.stacked_bars(period["per_day"], CATEGORY_COLOURS, CATEGORY_NAMES)
    sla = stats.sla_status
    sla_bar = charts.share_bar(
        [
            ("按时", sla["on_time"], "#16a34a"),
            ("预警", sla["warning"], "#f59e0b"),
            ("超时", sla["breached"], "#dc2626"),
            ("无时限", sla["no_deadline"], "#9ca3af"),
        ]
    )
    label = f"{to_local(scope.start):%Y-%m-%d} 至 {to_local(scope.end - timedelta(seconds=1)):%Y-%m-%d}"
    return render(
        request,
        "dashboard.html",
        label=label,
        stats=stats,
        period=period,
        chart=chart,
        sla=sla,
        sla_bar=sla_bar,
        start=from_ or "",
        end=to or "",
    )
