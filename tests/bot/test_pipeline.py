"""The whole path: signed/encrypted webhook → inbox → dispatcher → ticket → outbox → local delivery."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from bot.settings import Settings
from bot.simulator import bridge_request, wecom_bot_request
from models.inbox import InboxMessage
from models.outbox import OutboxMessage
from models.registry import Group
from models.ticket import Ticket, TicketEvent
from tests.factories import eventually, make_registry, make_token


async def count(app: Any, model: Any, *where: Any) -> int:
    async with app.state.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def inbox_drained(app: Any) -> bool:
    return await count(app, InboxMessage, InboxMessage.status == "pending") == 0


async def test_report_opens_one_ticket_and_replies_even_when_posted_four_times(
    settings: Settings, client: httpx.AsyncClient, app: Any
) -> None:
    reg = await make_registry(app.state.db, groups=2)
    group = reg["groups"][0]
    req = bridge_request(
        settings,
        group_id=group,
        sender="wxid_resident",
        text="3栋楼道里有人拉飞线给电动车充电",
        msg_id="dup-1",
    )
    for _ in range(4):
        assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200

    async def delivered() -> bool:
        return await count(app, OutboxMessage, OutboxMessage.status == "sent") >= 1

    await eventually(delivered)
    assert await count(app, InboxMessage) == 1
    async with app.state.db.session() as s:
        tickets = (await s.scalars(select(Ticket))).all()
        reply = await s.scalar(select(OutboxMessage).where(OutboxMessage.group_id == group))
        events = (await s.scalars(select(TicketEvent))).all()
        grp = await s.get(Group, group)
    assert len(tickets) == 1
    ticket = tickets[0]
    assert ticket.category == "hazard"
    assert (ticket.group_id, ticket.reporter_id, ticket.channel) == (group, "wxid_resident", "bridge")
    assert ticket.building_id is not None and ticket.grid_id is not None
    assert reply is not None and f"#{ticket.number}" in reply.body and "已登记工单" in reply.body
    assert reply.channel == "local"  # bridge has no send_url in local mode: the local channel delivers
    assert events and events[0].action == "open"
    assert grp is not None and grp.last_activity_at is not None

    token = await make_token(app.state.db)
    listing = await client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == 1
    assert body["items"][0]["number"] == ticket.number
    assert set(body["items"][0]) >= {
        "number",
        "category",
        "subtype",
        "urgent",
        "status",
        "group_id",
        "reporter_id",
        "text",
        "created_at",
    }


async def test_chit_chat_and_resolved_reports_open_no_ticket(
    settings: Settings, client: httpx.AsyncClient, app: Any
) -> None:
    reg = await make_registry(app.state.db, groups=1)
    for i, text in enumerate(["收到", "大家早上好☀️", "已经修好了，谢谢", "大家的电动车记得不要在楼道充电哦"]):
        req = bridge_request(settings, group_id=reg["groups"][0], sender="r1", text=text, msg_id=f"chat-{i}")
        assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200

    async def processed() -> bool:
        return await count(app, InboxMessage, InboxMessage.status == "done") == 4

    await eventually(processed)
    assert await count(app, Ticket) == 0
    assert await count(app, OutboxMessage) == 0  # the bot stays quiet


async def test_unknown_group_is_held_and_flagged_then_released_on_adoption(
    settings: Settings, client: httpx.AsyncClient, app: Any
) -> None:
    req = bridge_request(
        settings, group_id="stranger@chatroom", sender="x", text="楼道里闻到很浓的煤气味", room_name="新楼群"
    )
    assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200

    async def held() -> bool:
        return await count(app, InboxMessage, InboxMessage.status == "held") == 1

    await eventually(held)
    async with app.state.db.session() as s:
        group = await s.get(Group, "stranger@chatroom")
    assert group is not None and group.registered is False and group.name == "新楼群"
    assert await count(app, Ticket) == 0
    token = await make_token(app.state.db)
    stats = (await client.get("/api/stats", headers={"Authorization": f"Bearer {token}"})).json()
    assert stats["unknown_group_messages"] == 1

    from bot.services import roster

    csv_text = "group_id,name,channel,community,grid,building,leader_id,grid_member_id,robot_key\nstranger@chatroom,新楼群,bridge,平安路社区,网格1,9栋,,,\n"
    async with app.state.db.unit_of_work() as s:
        report = await roster.apply(session=s, roster=roster.parse([("adopt.csv", csv_text.encode())]))
    assert report.released == 1
    app.state.inbox_wakeup.set()

    async def ticketed() -> bool:
        return await count(app, Ticket) == 1

    await eventually(ticketed)


async def test_help_is_answered_through_the_robot_response_url(
    settings: Settings, client: httpx.AsyncClient, app: Any
) -> None:
    reg = await make_registry(app.state.db, groups=1)
    req = wecom_bot_request(
        settings,
        group_id=reg["groups"][0],
        sender="u1",
        text="帮助",
        response_url="https://example.invalid/r",
    )
    assert (await client.post(req.path, params=req.params, content=req.content)).status_code == 200

    async def replied() -> bool:
        return await count(app, OutboxMessage) == 1

    await eventually(replied)
    async with app.state.db.session() as s:
        row = await s.scalar(select(OutboxMessage))
    assert row is not None and "使用说明" in row.body
    assert row.target_kind == "reply" and row.reply_url == "https://example.invalid/r"
    assert await count(app, Ticket) == 0


async def test_api_needs_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/tickets")).status_code == 401
    assert (await client.get("/api/stats")).status_code == 401
    assert (await client.get("/api/tickets", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await client.get("/healthz")).status_code == 200
