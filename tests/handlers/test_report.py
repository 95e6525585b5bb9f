"""Reports: merge replies, inhibited reports, and the urgent path with the right emergency numbers."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.settings import Settings
from models.base import utcnow
from models.inhibition import Inhibition, InhibitionHit
from models.outbox import OutboxMessage
from models.ticket import Ticket
from tests.bot.services.ticket_helpers import deliver, message, replies, ticket
from tests.conftest import make_settings
from tests.factories import make_registry


async def count(db: Database, model: object) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


async def test_second_report_is_merged(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    await deliver(db, settings, message("3栋楼道里有人拉飞线给电动车充电", sender="r1"))
    await deliver(db, settings, message("3栋楼道又有人拉飞线充电瓶车了", sender="r2"))
    assert await count(db, Ticket) == 1
    texts = await replies(db, "g0@chatroom")
    assert texts[0].startswith("已登记工单 #1（安全隐患），已通知网格员处理。")
    assert texts[1] == "已并入工单 #1（已有2人反映），正在处理中。"
    assert (await ticket(db, 1)).report_count == 2


async def declare(
    db: Database,
    *,
    kind: str = "电梯维保",
    scope_kind: str = "groups",
    scope_ids: list[str] | None = None,
    **kw: object,
) -> int:
    async with db.unit_of_work() as session:
        row = Inhibition(
            kind=kind, scope_kind=scope_kind, scope_ids=scope_ids if scope_ids is not None else ["g0@chatroom"],
            categories=kw.get("categories", []), keywords=kw.get("keywords", []),
            starts_at=kw.get("starts_at", utcnow() - timedelta(hours=1)), ends_at=kw.get("ends_at", utcnow() + timedelta(hours=3)),
            notice="3栋电梯今天维保，预计下午5点恢复。", created_by="admin1",
        )  # fmt: skip
        session.add(row)
        await session.flush()
        return row.id


async def test_inhibited_report_gets_the_notice_not_a_ticket(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=2)
    await declare(db)
    await deliver(db, settings, message("3栋电梯坏了，麻烦物业来修一下", sender="r1"))
    await deliver(db, settings, message("3栋电梯坏了，麻烦物业来修一下吧", sender="r2"))
    assert await count(db, Ticket) == 0
    assert await count(db, InhibitionHit) == 2
    texts = await replies(db, "g0@chatroom")
    assert len(texts) == 1  # the notice is not repeated to every resident within minutes
    assert texts[0].startswith("【电梯维保】3栋电梯今天维保") and "无需重复报修" in texts[0]
    # outside the scope (another group), and an urgent report inside it, are ticketed
    await deliver(db, settings, message("3栋电梯坏了，麻烦物业来修一下", group="g1@chatroom", sender="r3"))
    await deliver(db, settings, message("电梯里有人被困住了", sender="r4"))
    assert await count(db, Ticket) == 2


async def test_inhibition_window_and_scope_kinds(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=2, grids=2)
    await declare(db, starts_at=utcnow() - timedelta(hours=5), ends_at=utcnow() - timedelta(hours=1))  # over
    await deliver(db, settings, message("3栋电梯坏了，麻烦物业来修一下", sender="r1"))
    assert await count(db, Ticket) == 1
    assert await count(db, InhibitionHit) == 0
    async with db.session() as session:
        grid_of_g0 = await session.scalar(select(Ticket.grid_id).where(Ticket.number == 1))
    await declare(db, scope_kind="grids", scope_ids=[str(grid_of_g0)])
    await deliver(db, settings, message("2栋电梯坏了，麻烦物业来修一下", group="g0@chatroom", sender="r2"))
    await deliver(db, settings, message("2栋电梯坏了，麻烦物业来修一下", group="g1@chatroom", sender="r3"))
    assert await count(db, InhibitionHit) == 1  # g0's grid is inhibited, g1's grid is not
    assert (await ticket(db, 1)).report_count == 1
    assert await count(db, Ticket) == 2
    assert (await replies(db, "g0@chatroom"))[-1].startswith("【电梯维保】")


@pytest.mark.parametrize(
    ("text", "numbers", "absent"),
    [
        ("楼道里煤气味很浓，快来人", ["燃气抢修 96777", "119"], ["120"]),
        ("着火了！5楼冒烟了", ["119"], ["120", "110"]),
        ("楼下有个老人摔倒了起不来", ["120"], ["119"]),
        ("小区门口有人打架动刀了", ["110"], ["119"]),
        ("电梯里有人被困住了", ["119", "96333"], ["110"]),
    ],
)
async def test_urgent_reply_carries_the_right_numbers(
    db_url: str, tmp_path: Path, text: str, numbers: list[str], absent: list[str]
) -> None:
    settings = make_settings(db_url, tmp_path / "d", emergency={"gas_hotline": "96777"})
    db = Database(settings.database.url)
    try:
        await make_registry(db, groups=1)
        await deliver(db, settings, message(text, sender="r1"))
        async with db.session() as session:
            reply = await session.scalar(select(OutboxMessage).where(OutboxMessage.group_id == "g0@chatroom"))
            alerts = (
                await session.scalars(select(OutboxMessage).where(OutboxMessage.target_kind == "user"))
            ).all()
        assert reply is not None and reply.priority == 0
        assert reply.body.startswith("【紧急】已登记工单 #1") and "网格长和值班人员" in reply.body
        for number in numbers:
            assert number in reply.body
        for number in absent:
            assert f"{number}（" not in reply.body
        assert {a.target for a in alerts} == {"gm1", "gl1"} and all(a.priority == 0 for a in alerts)
    finally:
        await db.dispose()
