"""The whole ticket workflow over real HTTP, end to end.

An encrypted intelligent-robot callback from a resident → a ticket routed to the grid member → an alert
delivered to a fake WeCom server (message/send) → ``接单 #1`` in an encrypted /wecom/callback private
message from gm1 → the group is told (robot webhook) → ``办结 #1`` → the 满意 prompt @-mentioning the
reporter → ``满意 #1`` from the reporter → closed. Our app and the fake both listen on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from sqlalchemy import select, update

from bot.app import create_app
from bot.simulator import PreparedRequest, wecom_bot_request, wecom_request
from models.registry import Group
from models.ticket import Ticket, TicketEvent
from tests.conftest import make_settings
from tests.factories import eventually, make_registry
from tests.fakes.wecom import Delivered, FakeWeCom, running_fake_wecom, serve_asgi


def delivered(fake: FakeWeCom, api: str, target: str | None, *needles: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return any(found(fake, api, target, *needles))

    return check


def found(fake: FakeWeCom, api: str, target: str | None, *needles: str) -> list[Delivered]:
    return [
        d
        for d in fake.received
        if d.api == api and (target is None or d.target == target) and all(n in d.body for n in needles)
    ]


async def test_report_alert_accept_resolve_feedback_close(db_url: str, tmp_path: Path) -> None:
    async with running_fake_wecom() as fake:
        settings = make_settings(
            db_url,
            tmp_path / "data",
            wecom={"enabled": True, "api_base": fake.url, "agent_id": 1000002},
            wecom_bot={"enabled": True},
            server={"public_url": "https://grid.example.cn"},
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app), serve_asgi(app) as base:
            db = app.state.db
            await make_registry(db, groups=1, channel="wecom_bot")
            async with db.unit_of_work() as session:
                await session.execute(update(Group).values(robot_key="key-g0"))

            async with httpx.AsyncClient(base_url=base, timeout=10) as http:

                async def post(req: PreparedRequest) -> None:
                    resp = await http.post(
                        req.path, params=req.params, headers=req.headers, content=req.content
                    )
                    assert resp.status_code == 200, resp.text

                async def status() -> str:
                    async with db.session() as session:
                        return str(await session.scalar(select(Ticket.status).where(Ticket.number == 1)))

                def status_is(expected: str) -> Callable[[], Awaitable[bool]]:
                    async def check() -> bool:
                        return await status() == expected

                    return check

                # 1. a resident reports in the building group through the intelligent robot
                await post(
                    wecom_bot_request(
                        settings,
                        group_id="g0@chatroom",
                        sender="r1",
                        text="3栋楼道里有人拉飞线给电动车充电，电话13812345678",
                        response_url=fake.new_response_url(),
                    )
                )
                await eventually(delivered(fake, "response", None, "已登记工单 #1", "安全隐患"))
                # 2. the grid member gets a WeCom app message with everything needed to act
                await eventually(delivered(fake, "message", "gm1", "工单 #1"))
                alert = found(fake, "message", "gm1", "工单 #1")[0]
                for needle in (
                    "安全隐患",
                    "1栋",
                    "签收时限",
                    "https://grid.example.cn/console/tickets/1",
                    "接单 #1",
                ):
                    assert needle in alert.body
                assert "13812345678" not in alert.body and "5678" in alert.body
                assert alert.payload["agentid"] == 1000002 and alert.payload["msgtype"] == "text"
                assert await status() == "assigned"

                # 3. 接单 from the grid member's own WeCom account, in a private chat with the app
                await post(wecom_request(settings, sender="gm1", text="接单 #1"))
                await eventually(status_is("accepted"))
                await eventually(delivered(fake, "robot", "key-g0", "工单 #1", "已由网格员1签收"))
                await eventually(delivered(fake, "message", "gm1", "已接单 #1"))

                # 4. 办结: the group is told and the reporter is asked 满意/不满意, by @-mention
                await post(wecom_request(settings, sender="gm1", text="办结 ＃１ 飞线已拆除"))
                await eventually(status_is("resolved"))
                await eventually(delivered(fake, "robot", "key-g0", "已办结", "飞线已拆除", "满意 #1"))
                prompt = found(fake, "robot", "key-g0", "满意 #1")[0]
                assert prompt.payload["text"]["mentioned_list"] == ["r1"]

                # 5. the reporter answers in the group; the ticket is archived
                await post(
                    wecom_bot_request(
                        settings,
                        group_id="g0@chatroom",
                        sender="r1",
                        text="满意 #1",
                        response_url=fake.new_response_url(),
                    )
                )
                await eventually(status_is("closed"))
                await eventually(delivered(fake, "response", None, "感谢您的评价", "#1"))

            async with db.session() as session:
                events = (
                    await session.scalars(
                        select(TicketEvent).where(TicketEvent.ticket_number == 1).order_by(TicketEvent.id)
                    )
                ).all()
                closed = await session.get(Ticket, 1)
            assert [(e.action, e.to_status) for e in events] == [
                ("open", "new"),
                ("dispatch", "assigned"),
                ("accept", "accepted"),
                ("resolve", "resolved"),
                ("satisfied", "closed"),
            ]
            assert [e.actor_id for e in events[2:]] == ["gm1", "gm1", "r1"]
            assert closed is not None and closed.satisfied is True and closed.accepted_at is not None
            assert fake.counters["rate_limited"] == 0
