"""``/api/inhibitions``: admins only; validated input; cancel keeps the record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from models.auth import TokenRole
from models.base import utcnow
from tests.factories import make_registry, make_token


def body(**overrides: Any) -> dict[str, Any]:
    now = utcnow()
    data = {
        "kind": "停水",
        "scope_kind": "groups",
        "scope_ids": ["g0@chatroom"],
        "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=4)).isoformat(),
        "notice": "管网抢修，3栋今天9点到13点停水。",
    }
    data.update(overrides)
    return data


async def test_admin_declares_lists_and_cancels(client: httpx.AsyncClient, app: Any) -> None:
    await make_registry(app.state.db, groups=1)
    admin = {"Authorization": f"Bearer {await make_token(app.state.db)}"}
    created = await client.post("/api/inhibitions", json=body(), headers=admin)
    assert created.status_code == 201, created.text
    row = created.json()
    assert row["keywords"][:2] == ["停水", "没水"]  # the kind's defaults
    assert row["created_by"].startswith("token:")
    listing = await client.get("/api/inhibitions", params={"active": "true"}, headers=admin)
    assert listing.status_code == 200 and listing.json()["total"] == 1
    assert (await client.delete(f"/api/inhibitions/{row['id']}", headers=admin)).status_code == 204
    listing = await client.get("/api/inhibitions", params={"active": "true"}, headers=admin)
    assert listing.json()["total"] == 0
    everything = await client.get("/api/inhibitions", headers=admin)
    assert everything.json()["items"][0]["cancelled_at"] is not None
    missing = await client.delete("/api/inhibitions/424242", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


async def test_only_admins(client: httpx.AsyncClient, app: Any) -> None:
    assert (await client.get("/api/inhibitions")).status_code == 401
    grid = {"Authorization": f"Bearer {await make_token(app.state.db, TokenRole.GRID_MEMBER)}"}
    assert (await client.post("/api/inhibitions", json=body(), headers=grid)).status_code == 403
    assert (await client.get("/api/inhibitions", headers=grid)).status_code == 403


async def test_bad_input_is_a_clear_422(client: httpx.AsyncClient, app: Any) -> None:
    admin = {"Authorization": f"Bearer {await make_token(app.state.db)}"}
    now = utcnow()
    cases = [
        body(ends_at=(now - timedelta(hours=1)).isoformat()),
        body(starts_at="2026-11-28T09:00:00"),  # no offset
        body(scope_kind="buildings", scope_ids=[]),
        body(scope_kind="grids", scope_ids=["网格1"]),
        body(kind="other"),  # neither keywords nor categories
        body(categories=["weather"]),
        body(kind="停气"),
        body(notice=""),
    ]
    for case in cases:
        resp = await client.post("/api/inhibitions", json=case, headers=admin)
        assert resp.status_code == 422, case
        assert resp.json()["error"]["code"] == "invalid_request"
    assert (await client.delete("/api/inhibitions/99999999999999999999", headers=admin)).status_code == 422
