"""The console over HTTP: pages render in Chinese, forms act through the services, CSRF and roles hold."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import select

from bot.settings import Settings
from models.audit import AuditLog
from models.auth import TokenRole
from tests.bot.api.conftest import GAS, console_login, report
from tests.factories import eventually, make_registry, make_token


async def setup(app: Any, role: TokenRole = TokenRole.ADMIN) -> tuple[dict[str, Any], str]:
    reg = await make_registry(app.state.db, groups=6, grids=2)
    return reg, await make_token(app.state.db, role)


async def test_pages_need_a_session(client: httpx.AsyncClient) -> None:
    for path in ("/console/", "/console/tickets", "/console/notices", "/console/groups", "/console/audit"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/console/login", path
    login = await client.get("/console/login")
    assert login.status_code == 200 and "访问令牌" in login.text


async def test_urgent_ticket_accept_and_resolve_from_the_console(
    app: Any, client: httpx.AsyncClient, settings: Settings
) -> None:
    reg, token = await setup(app)
    await report(app, client, settings, group=reg["groups"][1], text="3栋门口垃圾两天没人清运了")
    gas = await report(app, client, settings, group=reg["groups"][0], text=GAS)
    csrf = await console_login(client, token)
    dashboard = await client.get("/console/")
    assert "共接受群众咨询、求助服务" in dashboard.text and "<svg" in dashboard.text
    listing = await client.get("/console/tickets")
    rows = re.findall(r'<a href="/console/tickets/(\d+)">#', listing.text)
    assert rows[0] == str(gas.number)  # urgent on top
    page = await client.get(f"/console/tickets/{gas.number}")
    assert "接单" in page.text and "紧急" in page.text
    no_csrf = await client.post(f"/console/tickets/{gas.number}/act", data={"action": "accept"})
    assert no_csrf.status_code == 403
    accepted = await client.post(
        f"/console/tickets/{gas.number}/act", data={"action": "accept", "csrf_token": csrf}
    )
    assert accepted.status_code == 303 and "msg=" in accepted.headers["location"]
    illegal = await client.post(
        f"/console/tickets/{gas.number}/act", data={"action": "accept", "csrf_token": csrf}
    )
    assert "err=" in illegal.headers["location"]
    resolved = await client.post(
        f"/console/tickets/{gas.number}/act", data={"action": "resolve", "note": "已关阀", "csrf_token": csrf}
    )
    assert resolved.status_code == 303
    page = await client.get(f"/console/tickets/{gas.number}")
    assert 'id="ticket-status">已办结' in page.text
    audit = await client.get("/console/audit")
    assert "ticket.accept" in audit.text and "ticket.resolve" in audit.text


async def test_notice_to_one_grid_then_all_with_progress(app: Any, client: httpx.AsyncClient) -> None:
    _, token = await setup(app)
    csrf = await console_login(client, token)
    page = await client.get("/console/notices")
    grid_ids = re.findall(r'<option value="(\d+)">平安路社区·网格', page.text)
    assert len(grid_ids) == 2
    form = {
        "csrf_token": csrf,
        "title": "燃气安全",
        "body": "{building}的居民请注意燃气安全",
        "kind": "grids",
        "grids": grid_ids[0],
    }
    preview = await client.post("/console/notices/preview", data=form)
    assert 'id="preview-count">3<' in preview.text and "的居民请注意燃气安全" in preview.text
    sent = await client.post("/console/notices", data=form)
    assert sent.status_code == 303
    notice_url = sent.headers["location"].split("?")[0]
    everyone = await client.post("/console/notices", data={**form, "kind": "all"})
    all_url = everyone.headers["location"].split("?")[0]

    async def delivered() -> bool:
        fragment = (await client.get(all_url + "/progress")).text
        return "已送达 6/6" in fragment

    await eventually(delivered)
    assert "已送达 3/3" in (await client.get(notice_url + "/progress")).text
    async with app.state.db.session() as s:
        actions = (await s.scalars(select(AuditLog.action).where(AuditLog.action == "notice.create"))).all()
    assert len(actions) == 2


async def test_viewer_sees_no_buttons_and_cannot_post(
    app: Any, client: httpx.AsyncClient, settings: Settings
) -> None:
    reg, token = await setup(app, TokenRole.VIEWER)
    gas = await report(app, client, settings, group=reg["groups"][0], text=GAS)
    csrf = await console_login(client, token)
    page = await client.get(f"/console/tickets/{gas.number}")
    assert page.status_code == 200 and "只读账号" in page.text and 'value="accept"' not in page.text
    refused = await client.post(
        f"/console/tickets/{gas.number}/act", data={"action": "accept", "csrf_token": csrf}
    )
    assert refused.status_code == 403
    notice = await client.post(
        "/console/notices", data={"csrf_token": csrf, "title": "x", "body": "y", "kind": "all"}
    )
    assert notice.status_code == 403
    assert (await client.get("/console/audit")).status_code == 403


async def test_groups_roster_outages_and_care_pages(app: Any, client: httpx.AsyncClient) -> None:
    _, token = await setup(app)
    csrf = await console_login(client, token)
    groups = await client.get("/console/groups", params={"q": "2栋"})
    assert "g1@chatroom" in groups.text
    bad = "person_id,name,role,grid,team,phone,group_id\np1,张三,wizard,,,,\n".encode()
    refused = await client.post(
        "/console/roster", data={"csrf_token": csrf}, files={"files": ("people.csv", bad, "text/csv")}
    )
    assert refused.status_code == 422 and "people.csv:2:" in refused.text
    outage = await client.post(
        "/console/outages",
        data={
            "csrf_token": csrf,
            "kind": "停水",
            "scope_kind": "all",
            "starts_at": "2026-01-01T08:00",
            "ends_at": "2030-01-01T08:00",
            "notice": "3栋停水检修",
        },
    )
    assert outage.status_code == 303 and "msg=" in outage.headers["location"]
    listed = await client.get("/console/outages")
    assert "3栋停水检修" in listed.text and "进行中" in listed.text
    assert (await client.get("/console/care")).status_code == 200
