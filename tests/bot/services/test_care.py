"""Care schedules: reminders over real HTTP to the fake WeCom, confirmations in chat, overdue reports, stats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.classifier import ClassifierHolder
from bot.db import Database
from bot.services import care, care_roster
from bot.simulator import bridge_request
from bot.workers import InboxWorker
from handlers import build_dispatcher
from models.care import CareDue, CarePairing, CareVisit
from models.outbox import OutboxMessage
from tests.conftest import make_settings
from tests.factories import eventually, make_registry
from tests.fakes.outbox import running_worker, settings_for, settled
from tests.fakes.wecom import running_fake_wecom

CSV = (
    "household_id,name,kind,group_id,birth_date,address,volunteer_id\n"
    "A101,张奶奶,独居老人,g0@chatroom,1940-12-03,1栋101,lead-assistance\n"
    "B202,李小明,left_behind_child,g1@chatroom,,2栋202,lead-health\n"
).encode()
# Saturday 2026-11-28 09:00 in Shanghai: the weekly visit (due Sunday 20:00) is 35 h away.
SATURDAY = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


async def setup(db: Database) -> None:
    await make_registry(db, groups=2)
    async with db.unit_of_work() as session:
        result = await care_roster.import_households(session=session, name="care.csv", data=CSV)
    assert result == {"rows": 2, "households_added": 2, "pairings_added": 2}


async def test_reminder_goes_to_the_volunteer_as_a_wecom_app_message(db_url: str, tmp_path: Path) -> None:
    async with running_fake_wecom() as fake:
        settings = settings_for(make_settings, db_url, tmp_path, fake.url)
        db = Database(settings.database.url)
        await setup(db)
        async with db.unit_of_work() as session:
            first = await care.run_due(session=session, settings=settings, now=SATURDAY)
        async with db.unit_of_work() as session:
            again = await care.run_due(session=session, settings=settings, now=SATURDAY)
        # The weekly visit (due Sunday 20:00) and the monthly chores (due 30 Nov), for both households.
        assert first["reminded"] == 4 and again == {"created": 0, "reminded": 0, "reported": 0}
        async with running_worker(db, settings):
            await eventually(lambda: settled(db))
        sent = sorted((d.target, d.body) for d in fake.received if d.api == "message")
        assert [t for t, _ in sent] == ["lead-assistance"] * 2 + ["lead-health"] * 2
        visit = next(b for t, b in sent if t == "lead-assistance" and "走访。" in b)
        assert "张奶奶" in visit and "已走访 #A101" in visit and "11月29日" in visit
        assert any("家务帮扶" in b and "11月30日" in b for _, b in sent)
        await db.dispose()


async def test_confirmation_in_chat_closes_the_period_and_is_counted(db_url: str, tmp_path: Path) -> None:
    # The webhook takes the messages; the inbox worker dispatches them on Saturday (a pinned clock),
    # so the week they close is the week run_due opened, whatever today's date is.
    settings = make_settings(db_url, tmp_path / "data", server={"run_workers": False})
    db = Database(settings.database.url)
    await setup(db)
    async with db.unit_of_work() as session:
        await care.run_due(session=session, settings=settings, now=SATURDAY)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for text, sender in (
                ("已走访 ＃a101 陪张奶奶聊天", "lead-assistance"),
                ("已走访 #A101", "leader1"),
            ):
                r = bridge_request(settings, group_id="g0@chatroom", sender=sender, text=text)
                resp = await client.request(
                    r.method, r.path, params=r.params, headers=r.headers, content=r.content
                )
                assert resp.status_code == 200
    worker = InboxWorker(
        db=db,
        settings=settings,
        dispatcher=build_dispatcher(),
        classifier=ClassifierHolder(settings.classifier_rules_path()),
        clock=lambda: SATURDAY + timedelta(hours=2),
    )
    assert await worker.drain_once() == 2

    async def replies() -> list[str]:
        async with db.session() as session:
            rows = await session.scalars(
                select(OutboxMessage.body).where(OutboxMessage.dedupe_key.like("care:bridge:%"))
            )
            return list(rows.all())

    bodies = await replies()
    assert any("已登记：户号#A101 走访" in b and "本月该户已登记1次" in b for b in bodies)
    assert any("你没有与户号 #A101 结对" in b for b in bodies)
    async with db.session() as session:
        due = await session.scalar(
            select(CareDue)
            .join(CarePairing, CarePairing.id == CareDue.pairing_id)
            .where(
                CarePairing.household_code == "A101", CareDue.kind == "visit", CareDue.period == "2026-W48"
            )
        )
        visits = (await session.scalars(select(CareVisit))).all()
    assert due is not None and due.done_at is not None
    assert [(v.household_code, v.kind, v.team, v.note) for v in visits] == [
        ("A101", "visit", "assistance", "陪张奶奶聊天")
    ]
    # The done period is not reported as overdue.
    async with db.unit_of_work() as session:
        late = await care.run_due(
            session=session, settings=settings, now=datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
        )
    async with db.session() as session:
        overdue = (
            await session.scalars(
                select(OutboxMessage.body).where(OutboxMessage.dedupe_key.like("care:overdue:%"))
            )
        ).all()
    assert late["reported"] == 1 and len(overdue) == 1 and "李小明" in overdue[0]
    async with db.session() as session:
        figures = await care.stats(session=session, settings=settings)
    assert (
        figures["total"] == 1
        and figures["by_team"] == {"assistance": 1}
        and figures["by_month"] == {"2026-11": 1}
    )
    assert figures["by_household"] == [{"code": "A101", "name": "张奶奶", "count": 1}]
    await db.dispose()


async def _count(fetch: Any, n: int) -> bool:
    return len(await fetch()) >= n


async def test_overdue_visit_is_reported_to_the_grid_member_once(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    db = Database(settings.database.url)
    await setup(db)
    async with db.unit_of_work() as session:
        await care.run_due(session=session, settings=settings, now=SATURDAY)
    monday_night = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 21:00, past Sunday 20:00 + 24 h
    async with db.unit_of_work() as session:
        first = await care.run_due(session=session, settings=settings, now=monday_night)
    async with db.unit_of_work() as session:
        second = await care.run_due(session=session, settings=settings, now=monday_night)
    assert first["reported"] == 2 and second["reported"] == 0  # the visits (chores are due tonight)
    async with db.session() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.like("care:overdue:%"))
            )
        ).all()
    assert {r.target for r in rows} == {"gm1"} and all("关爱逾期" in r.body for r in rows)
    await db.dispose()


def test_periods_and_parsing() -> None:
    cfg = care.CareConfig()
    tz = care.ZoneInfo("Asia/Shanghai")
    assert care.current_period("visit", SATURDAY, tz, cfg) == (
        "2026-W48",
        datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
    )
    assert care.current_period("chores", SATURDAY, tz, cfg)[0] == "2026-11"  # type: ignore[index]
    assert care.current_period("problem", SATURDAY, tz, cfg) == (
        "2026-Q4",
        datetime(2026, 12, 31, 12, 0, tzinfo=UTC),
    )
    assert care.current_period("birthday", SATURDAY, tz, cfg, date(1940, 12, 3)) == (
        "2026",
        datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
    )
    assert care.current_period("birthday", SATURDAY, tz, cfg, date(1950, 3, 1))[0] == "2027"  # type: ignore[index]
    assert care.current_period("birthday", SATURDAY, tz, cfg, None) is None
    assert care.parse_confirmation("已完成 #b202 帮忙打扫卫生") == ("已完成", "B202", "帮忙打扫卫生")
    assert care.parse_confirmation("已走访＃Ａ１０１") == ("已走访", "A101", "")
    assert care.parse_confirmation("已经走访过了") is None


async def test_import_is_all_or_nothing_with_file_lines(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    db = Database(settings.database.url)
    await make_registry(db, groups=1)
    bad = (
        "household_id,name,kind,group_id,birth_date,address,volunteer_id\n"
        "A1,甲,elderly_alone,g0@chatroom,1950-01-01,x,lead-legal\n"
        "A2,乙,alien,g0@chatroom,,x,lead-legal\n"
        "A3,丙,disabled,g0@chatroom,1950-13-01,x,nobody\n"
    ).encode("gbk")
    async with db.unit_of_work() as session:
        with pytest.raises(care.CareError) as info:
            await care_roster.import_households(session=session, name="h.csv", data=bad)
    assert "h.csv:3: unknown kind" in info.value.reply and "h.csv:4: birth_date" in info.value.reply
    async with db.session() as session:
        assert (await session.scalars(select(CareVisit))).all() == []
    await db.dispose()
