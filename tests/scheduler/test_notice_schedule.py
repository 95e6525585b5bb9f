"""Recurring notices: persisted, one catch-up run after downtime, config loading, one scheduler leader."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import create_app
from bot.db import Database
from bot.services import notice_schedule
from models.base import utcnow
from models.notice import Notice, NoticeSchedule
from models.outbox import OutboxMessage
from scheduler import SchedulerService
from tests.conftest import make_settings
from tests.factories import eventually, make_registry

LEGAL = {
    "name": "legal-class",
    "title": "法治课堂",
    "body": "本月法治课堂在{community}活动室举行，欢迎参加。",
    "cron": "0 9 1,16 * *",
    "target": {"tags": ["法治楼"]},
}
TIP = {"name": "weekly-safety", "title": "安全小贴士", "body": "出门关好燃气阀门。", "cron": "0 10 * * 1"}


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_missed_run_fires_once_after_a_restart(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data", schedules=[LEGAL, TIP])
    db = Database(settings.database.url)
    await make_registry(db, groups=3)
    async with db.unit_of_work() as session:
        from sqlalchemy import update

        from models.registry import Group

        await session.execute(update(Group).where(Group.group_id != "g1@chatroom").values(tags=["法治楼"]))
    start = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # 1 Nov, 08:00 in Shanghai
    async with db.unit_of_work() as session:
        assert await notice_schedule.load_config_schedules(session=session, settings=settings, now=start) == 2
    async with db.unit_of_work() as session:  # loading again changes nothing
        assert await notice_schedule.load_config_schedules(session=session, settings=settings, now=start) == 0
    await db.dispose()

    # The process is down from 1 Nov 08:00 to 20 Nov 10:00: the 1st and 16th (and 2 Mondays) are missed.
    db = Database(settings.database.url)
    back = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    async with db.unit_of_work() as session:
        result = await notice_schedule.run_due(session=session, settings=settings, now=back)
    assert result["runs"] == 2 and result["fanned_out"] == 2
    async with db.unit_of_work() as session:
        again = await notice_schedule.run_due(
            session=session, settings=settings, now=back + timedelta(minutes=1)
        )
    assert again["runs"] == 0
    async with db.session() as session:
        legal = await session.scalar(select(NoticeSchedule).where(NoticeSchedule.name == "legal-class"))
        assert legal is not None and legal.runs == 1
        assert legal.next_run_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 1 Dec 09:00 local
        runs = (await session.scalars(select(Notice).where(Notice.schedule_id == legal.id))).all()
    assert len(runs) == 1 and runs[0].total == 2  # the two 法治楼 groups
    assert await count(db, OutboxMessage, OutboxMessage.notice_id == runs[0].id) == 2
    async with db.session() as session:
        bodies = (
            await session.scalars(select(OutboxMessage.body).where(OutboxMessage.notice_id == runs[0].id))
        ).all()
    assert all("平安路社区活动室" in b for b in bodies)
    await db.dispose()


async def test_the_scheduler_job_catches_up_once_across_app_restarts(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        db_url,
        tmp_path / "data",
        schedules=[TIP],
        notices={"quiet_hours": None},
        rate_limits={"avoid_marks": None},
    )
    db = Database(settings.database.url)
    await make_registry(db, groups=2)
    async with db.unit_of_work() as session:  # a schedule whose last three slots were missed
        session.add(
            NoticeSchedule(
                name="weekly-safety",
                title="安全小贴士",
                body="出门关好燃气阀门。",
                cron="0 10 * * 1",
                target={"all": True},
                source="config",
                next_run_at=utcnow() - timedelta(days=20),
            )
        )
    for _restart in range(2):
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            await eventually(lambda: _runs(db, 1), timeout=15)
            await asyncio.sleep(0.2)
    assert await count(db, Notice) == 1
    async with db.session() as session:
        schedule = await session.scalar(select(NoticeSchedule))
    assert schedule is not None and schedule.runs == 1 and schedule.next_run_at > utcnow()
    await db.dispose()


async def _runs(db: Database, n: int) -> bool:
    return (
        await count(db, Notice) >= n and await count(db, OutboxMessage, OutboxMessage.status == "sent") >= 2
    )


async def test_two_scheduler_services_on_one_database_elect_one_leader(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    db = Database(settings.database.url)
    a = SchedulerService(db=db, settings=settings, holder="web-1", heartbeat_s=0.1, ttl_s=1.0)
    b = SchedulerService(db=db, settings=settings, holder="web-2", heartbeat_s=0.1, ttl_s=1.0)
    await a.start()
    await b.start()
    try:
        await eventually(lambda: _leading(a, b))
        await asyncio.sleep(0.5)
        assert [a.leading, b.leading].count(True) == 1
        leader, standby = (a, b) if a.leading else (b, a)
        await leader.stop()
        await eventually(lambda: _leading(standby), timeout=5)
    finally:
        await a.stop()
        await b.stop()
        await db.dispose()


async def _leading(*services: SchedulerService) -> bool:
    return any(s.leading for s in services)
