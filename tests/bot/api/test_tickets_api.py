"""Tickets API: search, scope, transitions through the workflow service, recategorise, audit."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.settings import Settings
from models.audit import AuditLog
from models.auth import TokenRole
from models.registry import Grid
from tests.bot.api.conftest import GAS, bearer, report
from tests.factories import make_token


async def test_search_filters_and_urgent_first(
    app: Any, client: httpx.AsyncClient, settings: Settings, registry: dict[str, Any], admin_token: str
) -> None:
    groups = registry["groups"]
    await report(app, client, settings, group=groups[0], text="楼上302天天半夜装修噪音太吵了")
    gas = await report(app, client, settings, group=groups[1], text=GAS)
    listing = (await client.get("/api/tickets", headers=bearer(admin_token))).json()
    assert (
        listing["total"] == 2
        and listing["items"][0]["number"] == gas.number
        and listing["items"][0]["urgent"]
    )
    found = (await client.get("/api/tickets", params={"q": "煤气"}, headers=bearer(admin_token))).json()
    assert [t["number"] for t in found["items"]] == [gas.number]
    by_number = (
        await client.get("/api/tickets", params={"q": f"#{gas.number}"}, headers=bearer(admin_token))
    ).json()
    assert [t["number"] for t in by_number["items"]] == [gas.number]
    assert (await client.get("/api/tickets", params={"q": "100%_"}, headers=bearer(admin_token))).json()[
        "total"
    ] == 0
    urgent = (await client.get("/api/tickets", params={"urgent": "true"}, headers=bearer(admin_token))).json()
    assert urgent["total"] == 1


async def test_grid_member_sees_only_their_grid(
    app: Any, client: httpx.AsyncClient, settings: Settings, registry: dict[str, Any]
) -> None:
    groups = registry["groups"]  # g0, g2 in 网格1; g1, g3 in 网格2
    first = await report(app, client, settings, group=groups[0], text=GAS)
    second = await report(app, client, settings, group=groups[1], text="楼道里有人拉飞线给电动车充电")
    async with app.state.db.session() as s:
        grid = await s.scalar(select(Grid).where(Grid.name == "网格1"))
    assert grid is not None and first.grid_id == grid.id
    token = await make_token(app.state.db, TokenRole.GRID_MEMBER, grid_id=grid.id)
    items = (await client.get("/api/tickets", headers=bearer(token))).json()["items"]
    assert [t["number"] for t in items] == [first.number]
    assert (await client.get(f"/api/tickets/{second.number}", headers=bearer(token))).status_code == 404


async def test_accept_and_resolve_through_the_api_are_audited(
    app: Any, client: httpx.AsyncClient, settings: Settings, registry: dict[str, Any], admin_token: str
) -> None:
    ticket = await report(app, client, settings, group=registry["groups"][0], text=GAS)
    n = ticket.number
    accepted = await client.post(
        f"/api/tickets/{n}/transitions", json={"action": "接单"}, headers=bearer(admin_token)
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    again = await client.post(
        f"/api/tickets/{n}/transitions", json={"action": "accept"}, headers=bearer(admin_token)
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    no_note = await client.post(
        f"/api/tickets/{n}/transitions", json={"action": "progress"}, headers=bearer(admin_token)
    )
    assert no_note.status_code == 422
    done = await client.post(
        f"/api/tickets/{n}/transitions",
        json={"action": "resolve", "note": "燃气公司已关阀检修"},
        headers=bearer(admin_token),
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    actions = [e["action"] for e in done.json()["events"]]
    assert "accept" in actions and "resolve" in actions
    bogus = await client.post(
        f"/api/tickets/{n}/transitions", json={"action": "explode"}, headers=bearer(admin_token)
    )
    assert bogus.status_code == 422
    async with app.state.db.session() as s:
        rows = (
            await s.scalars(select(AuditLog).where(AuditLog.target == f"ticket:{n}").order_by(AuditLog.id))
        ).all()
    assert [r.action for r in rows] == ["ticket.accept", "ticket.resolve"]
    assert rows[0].before == {"status": "assigned", "assignee_id": ticket.assignee_id}
    assert rows[0].after["status"] == "accepted"


async def test_viewer_cannot_act_and_recategorise_feeds_corrections(
    app: Any,
    client: httpx.AsyncClient,
    settings: Settings,
    registry: dict[str, Any],
    admin_token: str,
    viewer_token: str,
) -> None:
    ticket = await report(app, client, settings, group=registry["groups"][0], text="家里水管爆了需要师傅来修")
    n = ticket.number
    refused = await client.post(
        f"/api/tickets/{n}/transitions", json={"action": "accept"}, headers=bearer(viewer_token)
    )
    assert refused.status_code == 403
    fixed = await client.post(
        f"/api/tickets/{n}/recategorise",
        json={"category": "hazard", "urgent": True},
        headers=bearer(admin_token),
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["category"], fixed.json()["urgent"]) == ("hazard", True)
    bad = await client.post(
        f"/api/tickets/{n}/recategorise", json={"category": "nonsense"}, headers=bearer(admin_token)
    )
    assert bad.status_code == 422
    from models.classifier import ClassifierCorrection

    async with app.state.db.session() as s:
        corrections = (await s.scalars(select(ClassifierCorrection))).all()
    assert len(corrections) == 1


async def test_unauthenticated_and_bad_input(client: httpx.AsyncClient, admin_token: str) -> None:
    assert (await client.get("/api/tickets")).status_code == 401
    assert (await client.get("/api/tickets/99999999999", headers=bearer(admin_token))).status_code == 422
    assert (await client.get("/api/tickets/5", headers=bearer(admin_token))).status_code == 404
    naive = await client.get(
        "/api/tickets", params={"since": "2026-01-01T00:00:00"}, headers=bearer(admin_token)
    )
    assert naive.status_code == 422 and naive.json()["error"]["code"] == "naive_datetime"


async def test_reassign_and_merge_go_through_the_workflow(
    app: Any, client: httpx.AsyncClient, settings: Settings, registry: dict[str, Any], admin_token: str
) -> None:
    h = bearer(admin_token)
    first = await report(app, client, settings, group=registry["groups"][0], text="家里水管爆了需要师傅来修")
    second = await report(
        app, client, settings, group=registry["groups"][2], text="楼道灯坏了好几天，晚上很黑"
    )
    moved = await client.post(
        f"/api/tickets/{first.number}/transitions", json={"action": "转派", "target": "repair"}, headers=h
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee_id"] == "lead-repair" and moved.json()["status"] == "assigned"
    unknown = await client.post(
        f"/api/tickets/{first.number}/transitions",
        json={"action": "reassign", "target": "nobody-at-all"},
        headers=h,
    )
    assert unknown.status_code in (404, 422)
    merged = await client.post(
        f"/api/tickets/{second.number}/transitions",
        json={"action": "merge", "target": str(first.number)},
        headers=h,
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged" and merged.json()["merged_into"] == first.number
