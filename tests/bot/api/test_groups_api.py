"""Groups: search, unknown groups and adoption (held messages re-queued), roster upload all-or-nothing, people."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from bot.settings import Settings
from bot.simulator import bridge_request
from models.audit import AuditLog
from models.registry import Group
from models.ticket import Ticket
from tests.bot.api.conftest import GAS, bearer
from tests.factories import eventually


async def test_search_groups(client: httpx.AsyncClient, registry: dict[str, Any], admin_token: str) -> None:
    page = (await client.get("/api/groups", params={"q": "3栋"}, headers=bearer(admin_token))).json()
    assert [g["group_id"] for g in page["items"]] == ["g2@chatroom"]
    assert page["items"][0]["grid"] == "网格1" and page["items"][0]["community"] == "平安路社区"
    grids = (await client.get("/api/grids", headers=bearer(admin_token))).json()
    assert sorted(g["groups"] for g in grids) == [2, 2]


async def test_adopting_an_unknown_group_processes_its_held_messages(
    app: Any, client: httpx.AsyncClient, settings: Settings, registry: dict[str, Any], admin_token: str
) -> None:
    req = bridge_request(
        settings, group_id="stranger@chatroom", sender="wxid_x", text=GAS, room_name="新楼群"
    )
    assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200

    async def held() -> bool:
        items = (await client.get("/api/groups/unknown", headers=bearer(admin_token))).json()["items"]
        return bool(items) and items[0]["held_messages"] == 1

    await eventually(held)
    bad = await client.post(
        "/api/groups/stranger@chatroom/adopt", json={"community": ""}, headers=bearer(admin_token)
    )
    assert bad.status_code == 422
    adopted = await client.post(
        "/api/groups/stranger@chatroom/adopt",
        json={"community": "平安路社区", "grid": "网格1", "building": "9栋"},
        headers=bearer(admin_token),
    )
    assert adopted.status_code == 200, adopted.text
    assert adopted.json()["released"] == 1 and adopted.json()["group"]["registered"] is True

    async def ticketed() -> bool:
        async with app.state.db.session() as s:
            return bool(
                await s.scalar(
                    select(func.count()).select_from(Ticket).where(Ticket.group_id == "stranger@chatroom")
                )
            )

    await eventually(ticketed)
    again = await client.post(
        "/api/groups/stranger@chatroom/adopt",
        json={"community": "平安路社区", "grid": "网格1", "building": "9栋"},
        headers=bearer(admin_token),
    )
    assert again.status_code == 409
    async with app.state.db.session() as s:
        audit = await s.scalar(select(AuditLog).where(AuditLog.action == "group.adopt"))
    assert audit is not None and audit.after["building"] == "9栋"


async def test_roster_upload_reports_every_bad_line_and_writes_nothing(
    app: Any, client: httpx.AsyncClient, registry: dict[str, Any], admin_token: str
) -> None:
    bad = (
        "group_id,name,channel,community,grid,building,leader_id,grid_member_id,robot_key\n"
        "new1@chatroom,新1栋,bridge,平安路社区,网格1,新1栋,,,\n"
        ",缺ID,bridge,平安路社区,网格1,新2栋,,,\n"
        "new3@chatroom,新3栋,fax,平安路社区,网格1,新3栋,,,\n"
    ).encode()
    refused = await client.post(
        "/api/roster/import", files={"files": ("groups.csv", bad, "text/csv")}, headers=bearer(admin_token)
    )
    assert refused.status_code == 422
    errors = refused.json()["error"]["errors"]
    assert any(e.startswith("groups.csv:3:") for e in errors) and any(
        e.startswith("groups.csv:4:") for e in errors
    )
    async with app.state.db.session() as s:
        assert await s.get(Group, "new1@chatroom") is None
    good = bad.decode().splitlines()[:2]
    ok = await client.post(
        "/api/roster/import",
        files={"files": ("groups.csv", ("\n".join(good) + "\n").encode("gbk"), "text/csv")},
        headers=bearer(admin_token),
    )
    assert ok.status_code == 200 and ok.json()["groups"] == 1


async def test_people_and_teams(
    client: httpx.AsyncClient, registry: dict[str, Any], admin_token: str, viewer_token: str
) -> None:
    people = (await client.get("/api/people", params={"q": "leader0"}, headers=bearer(viewer_token))).json()
    assert people["items"][0]["phone"] != "13800000000"  # masked for non-admins
    changed = await client.patch("/api/people/leader0", json={"on_duty": True}, headers=bearer(admin_token))
    assert changed.status_code == 200 and changed.json()["on_duty"] is True
    assert (
        await client.patch("/api/people/leader0", json={"on_duty": True}, headers=bearer(viewer_token))
    ).status_code == 403
    assert (await client.patch("/api/people/nobody", json={}, headers=bearer(admin_token))).status_code == 404
    teams = (await client.get("/api/teams", headers=bearer(viewer_token))).json()
    assert len(teams) == 5
