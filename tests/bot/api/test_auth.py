"""Console sessions: HttpOnly SameSite=Strict cookie, CSRF on every unsafe request, roles, rate limit, audit."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.services import auth as auth_service
from bot.settings import Settings
from models.audit import AuditLog
from tests.bot.api.conftest import bearer, console_login


async def test_login_sets_a_strict_httponly_cookie_that_authenticates_reads(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    response = await client.post("/console/login", data={"token": admin_token})
    assert response.status_code == 303 and response.headers["location"] == "/console/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    me = await client.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["role"] == "admin" and me.json()["via"] == "console"


async def test_bad_token_is_refused_and_audited(client: httpx.AsyncClient, app: Any, registry: Any) -> None:
    response = await client.post("/console/login", data={"token": "wg_wrong"})
    assert response.status_code == 401 and "令牌无效" in response.text
    assert (await client.get("/console/", follow_redirects=False)).status_code == 303
    async with app.state.db.session() as s:
        rows = (await s.scalars(select(AuditLog).where(AuditLog.action == "login.failed"))).all()
    assert len(rows) == 1 and "wg_wrong" not in str(rows[0].after)


async def test_cookie_requests_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    csrf = await console_login(client, admin_token)
    body = {"role": "viewer", "name": "csrf test"}
    refused = await client.post("/api/auth/tokens", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"
    wrong = await client.post("/api/auth/tokens", json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    made = await client.post("/api/auth/tokens", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201 and made.json()["token"].startswith("wg_")


async def test_forged_or_expired_sessions_are_not_accepted(
    client: httpx.AsyncClient, settings: Settings, admin_token: str
) -> None:
    value, _ = auth_service.make_session(settings, token_id=1, now=0)  # expired long ago
    client.cookies.set(auth_service.COOKIE_NAME, value)
    assert (await client.get("/api/auth/me")).status_code == 401
    good, _ = auth_service.make_session(settings, token_id=1)
    payload, signature = good.split(".")
    client.cookies.set(auth_service.COOKIE_NAME, payload + "." + signature[:-2] + "AA")
    assert (await client.get("/api/auth/me")).status_code == 401


async def test_revoking_the_token_ends_its_console_sessions(
    client: httpx.AsyncClient, app: Any, admin_token: str
) -> None:
    await console_login(client, admin_token)
    me = (await client.get("/api/auth/me")).json()
    other = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    async with other:
        made = await other.post(
            "/api/auth/tokens", json={"role": "admin", "name": "second"}, headers=bearer(admin_token)
        )
        second = made.json()["token"]
        revoked = await other.post(f"/api/auth/tokens/{me['token_id']}/revoke", headers=bearer(second))
        assert revoked.status_code == 200
    assert (await client.get("/api/auth/me")).status_code == 401
    assert (await client.get("/console/", follow_redirects=False)).status_code == 303


async def test_login_attempts_are_rate_limited_per_ip(
    client: httpx.AsyncClient, registry: Any, admin_token: str
) -> None:
    for i in range(5):
        assert (await client.post("/console/login", data={"token": f"wg_guess{i}"})).status_code == 401
    limited = await client.post("/console/login", data={"token": admin_token})
    assert limited.status_code == 429 and "过于频繁" in limited.text


async def test_viewer_sees_no_buttons_and_gets_403_when_posting(
    client: httpx.AsyncClient, viewer_token: str
) -> None:
    csrf = await console_login(client, viewer_token)
    page = await client.get("/console/tickets")
    assert page.status_code == 200
    refused = await client.post("/console/tickets/1/act", data={"action": "accept", "csrf_token": csrf})
    assert refused.status_code == 403
    api = await client.post(
        "/api/tickets/1/transitions", json={"action": "accept"}, headers={"X-CSRF-Token": csrf}
    )
    assert api.status_code == 403
