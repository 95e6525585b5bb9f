"""Ticket chat commands: tolerant parsing (table-driven), then the whole handler path through the dispatcher."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.settings import Settings
from handlers.base import Context
from handlers.ticket import IsTicketCommand, parse_command
from models.base import utcnow
from models.ticket import Ticket
from tests.bot.services.ticket_helpers import actions, deliver, message, replies, ticket
from tests.factories import make_registry


@pytest.mark.parametrize(
    ("text", "action", "number", "rest"),
    [
        ("接单 #12", "accept", 12, ""),
        ("接单＃１２", "accept", 12, ""),
        ("接单 ＃ １２ ", "accept", 12, ""),
        ("接单 12号工单", "accept", 12, ""),
        ("接单12号", "accept", 12, ""),
        ("接单 工单12", "accept", 12, ""),
        ("接单：工单号12", "accept", 12, ""),
        ("   接单    #12   ", "accept", 12, ""),
        ("@网格员1 接单 #12", "accept", 12, ""),
        ("＠网格员1\u2005接单 #12", "accept", 12, ""),
        ("工单12 接单", "accept", 12, ""),
        ("#12 接单", "accept", 12, ""),
        ("签收 #4", "accept", 4, ""),
        ("12号工单 办结 已修好", "resolve", 12, "已修好"),
        ("办结#12已修好", "resolve", 12, "已修好"),
        ("办结 #12，已修好", "resolve", 12, "已修好"),
        ("进展 #3 已联系物业", "progress", 3, "已联系物业"),
        ("退回 #4 不归我管", "return", 4, "不归我管"),
        ("退单 #4 不归我管", "return", 4, "不归我管"),
        ("转派 #5 家庭维修队", "reassign", 5, "家庭维修队"),
        ("转派 #5 @gm2", "reassign", 5, "@gm2"),
        ("查询12", "query", 12, ""),
        ("查询 #１２", "query", 12, ""),
        ("满意 #7", "satisfied", 7, ""),
        ("满意！", "satisfied", None, "!"),
        ("满意", "satisfied", None, ""),
        ("不满意 #7 还是漏水", "unsatisfied", 7, "还是漏水"),
        ("不满意，还是漏水", "unsatisfied", None, "还是漏水"),
        ("我的工单", "mine", None, ""),
        ("接单", "accept", None, ""),
        ("办结 已修好", "resolve", None, "已修好"),
    ],
)
def test_commands_parse_tolerantly(text: str, action: str, number: int | None, rest: str) -> None:
    command = parse_command(text)
    assert command is not None
    assert (command.action, command.number, command.rest) == (action, number, rest)


@pytest.mark.parametrize(
    "text",
    [
        "进展怎么样了",
        "查询一下明天停水吗",
        "满意度调查开始了",
        "接单员招聘",
        "3栋楼道有人拉飞线",
        "大家满意吗",
        "工单12",
        "",
        "#12",
    ],
)
def test_chat_is_not_a_command(text: str) -> None:
    assert parse_command(text) is None


async def test_filter_uses_command_text(db: Database, settings: Settings) -> None:
    async with db.session() as session:
        ctx = Context(session=session, settings=settings, classifier=None, now=utcnow())
        assert IsTicketCommand()(message("@微网格助手 接单 #3"), ctx)
        assert not IsTicketCommand()(message("大家好"), ctx)


async def count_tickets(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def test_accept_in_private_chat_then_resolve_then_feedback(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=2)
    await deliver(db, settings, message("3栋楼道里有人拉飞线给电动车充电", sender="r1"))
    assert (await ticket(db, 1)).assignee_id == "gm1"
    await deliver(db, settings, message("接单 #1", group=None, sender="gm1", channel="wecom"))
    assert (await ticket(db, 1)).status == "accepted"
    private = await replies(db, "gm1")
    assert any(body.startswith("已接单 #1") for body in private)
    assert any("已由网格员1签收" in body for body in await replies(db, "g0@chatroom"))
    await deliver(db, settings, message("办结 ＃１ 飞线已拆除", group=None, sender="gm1", channel="wecom"))
    assert (await ticket(db, 1)).status == "resolved"
    # the reporter answers in the group without a number: their pending ticket is meant
    await deliver(db, settings, message("满意", sender="r1"))
    assert (await ticket(db, 1)).status == "closed"
    assert await actions(db, 1) == ["open", "dispatch", "accept", "resolve", "satisfied"]
    assert any("感谢您的评价" in body for body in await replies(db, "g0@chatroom"))
    assert await count_tickets(db) == 1


async def test_resident_cannot_accept_and_commands_never_open_tickets(
    db: Database, settings: Settings
) -> None:
    await make_registry(db, groups=1)
    await deliver(db, settings, message("3栋楼道里有人拉飞线给电动车充电", sender="r1"))
    await deliver(db, settings, message("接单 #1", sender="r2"))
    await deliver(db, settings, message("办结 #1", sender="gm1", channel="wecom", group=None))
    await deliver(db, settings, message("接单", sender="gm1", channel="wecom", group=None))
    await deliver(db, settings, message("不满意 #1 水管还在漏水", sender="r2"))
    assert (await ticket(db, 1)).status == "assigned"
    assert await count_tickets(db) == 1
    group_texts = await replies(db, "g0@chatroom")
    assert any("您不能接单工单 #1" in t for t in group_texts)
    assert any("只有工单 #1 的反映人可以评价" in t for t in group_texts)
    private = await replies(db, "gm1")
    assert any("当前已分拨，不能办结" in t for t in private)
    assert any(t.startswith("请写明工单号，如：接单 #12") for t in private)


async def test_query_scope_and_privacy(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=2)
    await deliver(db, settings, message("楼上302天天半夜吵", sender="r1"))  # a dispute: private
    await deliver(db, settings, message("3栋电梯坏了，麻烦物业来修一下", sender="r1"))  # repair: public
    await deliver(db, settings, message("查询 #1", group="g1@chatroom", sender="r9"))
    assert (await replies(db, "g1@chatroom"))[-1] == "您只能查询本群的工单。"
    await deliver(db, settings, message("查询 #1", sender="r5"))
    assert (await replies(db, "g0@chatroom"))[-1] == "工单 #1 状态：已分拨。"
    await deliver(db, settings, message("查询 #2", sender="r5"))
    assert (await replies(db, "g0@chatroom"))[-1].startswith("工单 #2 服务请求·家庭维修：已分拨")
    await deliver(db, settings, message("查询 #1", group=None, sender="gm1", channel="wecom"))
    detail = (await replies(db, "gm1"))[-1]
    assert "302" in detail and "时限" in detail  # staff in private chat see the details
    await deliver(db, settings, message("查询 #99", sender="r5"))
    assert (await replies(db, "g0@chatroom"))[-1] == "没有找到工单 #99。"
    await deliver(db, settings, message("我的工单", group=None, sender="gm1", channel="wecom"))
    mine = (await replies(db, "gm1"))[-1]
    assert mine.startswith("我负责的工单：") and "#1" in mine
    await deliver(db, settings, message("我的工单", sender="r1"))
    assert "我反映的工单：" in (await replies(db, "g0@chatroom"))[-1]


async def test_private_report_gets_private_updates(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    # leader0 belongs to g0, but reports in a private chat with the app: updates must not go to the group
    await deliver(
        db,
        settings,
        message("3栋楼道里有人拉飞线给电动车充电", group=None, sender="leader0", channel="wecom"),
    )
    opened = await ticket(db, 1)
    assert (opened.group_id, opened.private_report) == ("g0@chatroom", True)
    await deliver(db, settings, message("接单 #1", group=None, sender="gm1", channel="wecom"))
    assert (await ticket(db, 1)).status == "accepted"
    assert await replies(db, "g0@chatroom") == []
    assert any("已由网格员1签收" in body for body in await replies(db, "leader0"))
