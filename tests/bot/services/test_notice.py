"""Notices end to end: service → outbox → real OutboxWorker → real HTTP → fake WeCom server."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.db import Database
from bot.services import notice as notices
from bot.services import notice_schedule
from models.base import utcnow
from models.notice import Notice, NoticeCreate, NoticeStatus, NoticeTarget
from models.outbox import OutboxMessage
from models.registry import Group
from tests.conftest import make_settings
from tests.factories import eventually, make_registry
from tests.fakes.outbox import outbox_counts, running_worker, settings_for, settled
from tests.fakes.wecom import running_fake_wecom

# 2026-11-30 10:00 Asia/Shanghai (a Monday): outside quiet hours.
DAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def create(**kw: Any) -> NoticeCreate:
    data = {"title": "安全提示", "body": "冬季用气安全，请检查燃气阀门。", "target": NoticeTarget(all=True)}
    return NoticeCreate(**{**data, **kw})


async def send(
    db: Database, settings: Any, data: NoticeCreate, author: str = "admin1", now: datetime | None = None
) -> Notice:
    async with db.unit_of_work() as session:
        return await notices.create_notice(
            session=session, settings=settings, data=data, author_id=author, now=now
        )


async def test_800_group_broadcast_is_delivered_exactly_once(db_url: str, tmp_path: Path) -> None:
    async with running_fake_wecom(chat_members=10, seed=5) as fake:
        settings = settings_for(
            make_settings,
            db_url,
            tmp_path,
            fake.url,
            rate_limits={"appchat_members": 10},
            outbox={"concurrency": 48},
        )
        db = Database(settings.database.url)
        reg = await make_registry(db, groups=800, channel="wecom", grids=16)
        notice = await send(db, settings, create(body="{building}的居民：今晚8点法治课堂。"), now=utcnow())
        assert notice.total == 800 and notice.status == NoticeStatus.SENDING
        async with running_worker(db, settings):
            await eventually(lambda: settled(db, notice.id), timeout=60)
        got = Counter(fake.targets("appchat"))
        assert set(got) == set(reg["groups"]) and max(got.values()) == 1
        assert fake.counters["rate_limited"] == 0 and fake.counters["gettoken"] == 1
        assert "栋的居民：今晚8点法治课堂" in fake.received[0].body and fake.received[0].body.startswith(
            "【安全提示】"
        )
        async with db.unit_of_work() as session:
            await notice_schedule.run_due(session=session, settings=settings)
            n = await notices.get_notice(session=session, notice_id=notice.id)
            assert await notices.progress(session=session, notice=n) == {
                "status": "done",
                "total": 800,
                "sent": 800,
                "failed": 0,
                "pending": 0,
                "ambiguous": 0,
                "cancelled": 0,
            }
        # Fanning out again adds nothing (dedupe key notice:<id>:group:<gid>).
        async with db.unit_of_work() as session:
            n = await notices.get_notice(session=session, notice_id=notice.id)
            assert await notices.fan_out(session=session, settings=settings, notice=n) == 800
        assert (await outbox_counts(db, notice.id))["sent"] == 800
        await db.dispose()


async def test_retry_after_5xx_and_a_token_expiry_delivers_everything(db_url: str, tmp_path: Path) -> None:
    async with running_fake_wecom(fail_rate=0.4, seed=11) as fake:
        settings = settings_for(make_settings, db_url, tmp_path, fake.url)
        db = Database(settings.database.url)
        reg = await make_registry(db, groups=40, channel="wecom")
        notice = await send(db, settings, create(), now=utcnow())
        async with running_worker(db, settings):
            await eventually(lambda: _sent_at_least(fake, 10), timeout=20)
            fake.force_expire_tokens()
            await eventually(lambda: settled(db, notice.id), timeout=30)
        assert sorted(set(fake.targets("appchat"))) == sorted(reg["groups"])
        assert fake.counters["injected_5xx"] > 0 and fake.counters["expired_token"] >= 1
        assert fake.counters["gettoken"] == 2
        async with db.session() as session:
            attempts = (
                await session.scalars(
                    select(OutboxMessage.attempts).where(OutboxMessage.notice_id == notice.id)
                )
            ).all()
        assert max(attempts) > 1 and (await outbox_counts(db, notice.id))["sent"] == 40
        await db.dispose()


async def _sent_at_least(fake: Any, n: int) -> bool:
    return len(fake.received) >= n


async def test_a_permanent_failure_is_reported_with_the_platform_reason(db_url: str, tmp_path: Path) -> None:
    async with running_fake_wecom(invalid_chatids={"g1@chatroom"}) as fake:
        settings = settings_for(make_settings, db_url, tmp_path, fake.url)
        db = Database(settings.database.url)
        await make_registry(db, groups=3, channel="wecom")
        notice = await send(db, settings, create(), now=utcnow())
        async with running_worker(db, settings):
            await eventually(lambda: settled(db, notice.id))
        async with db.session() as session:
            rows = {r["group_id"]: r for r in await notices.receipts(session=session, notice_id=notice.id)}
        assert rows["g1@chatroom"]["status"] == "failed" and rows["g1@chatroom"]["attempts"] == 1
        assert "86001" in rows["g1@chatroom"]["last_error"]
        assert rows["g0@chatroom"]["status"] == rows["g2@chatroom"]["status"] == "sent"
        await db.dispose()


async def test_robot_limits_are_honoured_without_a_single_45009(db_url: str, tmp_path: Path) -> None:
    # 30 groups share 2 robots; the window is scaled to 5 messages per 1 s (the fake enforces the same).
    async with running_fake_wecom(robot_limit=(5, 1.0)) as fake:
        rules = {"robot": {"limit": 5, "per_s": 1.0}}
        settings = settings_for(make_settings, db_url, tmp_path, fake.url, rate_limits={"rules": rules})
        db = Database(settings.database.url)
        reg = await make_registry(db, groups=30, channel="wecom_bot")
        async with db.unit_of_work() as session:
            for n, gid in enumerate(reg["groups"]):
                await session.execute(
                    update(Group).where(Group.group_id == gid).values(robot_key=f"key{n % 2}")
                )
        notice = await send(db, settings, create(), now=utcnow())
        started = datetime.now(UTC)
        async with running_worker(db, settings):
            await eventually(lambda: settled(db, notice.id), timeout=30)
        took = (datetime.now(UTC) - started).total_seconds()
        assert fake.counters["rate_limited"] == 0
        assert Counter(fake.targets("robot")) == {"key0": 15, "key1": 15}
        assert took >= 2.0  # 15 per robot at 5/s needs at least two full windows
        await db.dispose()


async def test_targets_and_templates(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    db = Database(settings.database.url)
    await make_registry(db, groups=6, grids=2)
    async with db.unit_of_work() as session:
        await session.execute(update(Group).where(Group.group_id == "g4@chatroom").values(tags=["法治楼"]))
    async with db.session() as session:

        async def pick(**target: Any) -> list[str]:
            found = await notices.resolve_groups(session=session, target=NoticeTarget(**target))
            return [f["group"].group_id for f in found]

        assert len(await pick(all=True)) == 6
        assert await pick(grids=["网格1"]) == ["g0@chatroom", "g2@chatroom", "g4@chatroom"]
        assert await pick(tags=["法治楼"]) == ["g4@chatroom"]
        assert await pick(groups=["g5@chatroom"], tags=["法治楼"]) == ["g4@chatroom", "g5@chatroom"]
        assert await pick(buildings=["2栋"]) == ["g1@chatroom"]
        assert len(await pick(communities=["平安路社区"])) == 6
        fields = (await notices.resolve_groups(session=session, target=NoticeTarget(groups=["g1@chatroom"])))[
            0
        ]["fields"]
    assert fields == {
        "building": "2栋",
        "grid_member": "网格员2",
        "group_name": "2栋楼栋群",
        "community": "平安路社区",
        "grid": "网格2",
    }
    with pytest.raises(notices.NoticeError) as info:
        await send(db, settings, create(body="{unknown} 你好"))
    assert info.value.code == "unknown_field"
    with pytest.raises(notices.NoticeError):
        await send(db, settings, create(target=NoticeTarget(tags=["没有这个楼"])))
    await db.dispose()


async def test_quiet_hours_hold_a_notice_until_morning_but_not_an_urgent_one(
    db_url: str, tmp_path: Path
) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    db = Database(settings.database.url)
    await make_registry(db, groups=3)
    night = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    calm = await send(db, settings, create(), now=night)
    urgent = await send(db, settings, create(title="紧急通知", urgent=True), now=night)
    assert calm.status == NoticeStatus.SCHEDULED and calm.due_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert urgent.status == NoticeStatus.SENDING and urgent.total == 3
    async with db.unit_of_work() as session:
        before = await notice_schedule.run_due(
            session=session, settings=settings, now=datetime(2026, 11, 30, 22, 59, tzinfo=UTC)
        )
    async with db.unit_of_work() as session:
        after = await notice_schedule.run_due(
            session=session, settings=settings, now=datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
        )
    assert before["fanned_out"] == 0 and after["fanned_out"] == 1 and after["rows"] == 3
    async with db.session() as session:
        prio = (
            await session.scalars(select(OutboxMessage.priority).where(OutboxMessage.notice_id == urgent.id))
        ).all()
    assert set(prio) == {0}
    await db.dispose()


async def test_approval_needs_a_second_admin(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data", notices={"require_approval": True})
    db = Database(settings.database.url)
    await make_registry(db, groups=2)
    draft = await send(db, settings, create(), author="admin1")
    assert draft.status == NoticeStatus.PENDING_APPROVAL and draft.total == 0
    async with db.unit_of_work() as session:
        with pytest.raises(notices.NoticeError) as info:
            await notices.approve(
                session=session, settings=settings, notice_id=draft.id, approver_id="admin1", now=DAY
            )
    assert info.value.status == 403
    async with db.unit_of_work() as session:
        approved = await notices.approve(
            session=session, settings=settings, notice_id=draft.id, approver_id="admin2", now=DAY
        )
        assert (
            approved.status == NoticeStatus.SENDING
            and approved.total == 2
            and approved.approved_by == "admin2"
        )
    await db.dispose()


async def test_cancel_stops_the_unsent_rows(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data")
    db = Database(settings.database.url)
    await make_registry(db, groups=5)
    notice = await send(db, settings, create(), now=DAY)
    async with db.unit_of_work() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.target == "g0@chatroom")
            .values(status="sent", sent_at=DAY)
        )
        await notices.cancel(session=session, notice_id=notice.id, actor_id="admin1")
    assert await outbox_counts(db, notice.id) == {
        "pending": 0,
        "sent": 1,
        "failed": 0,
        "ambiguous": 0,
        "cancelled": 4,
    }
    async with db.unit_of_work() as session:
        with pytest.raises(notices.NoticeError):
            await notices.cancel(session=session, notice_id=notice.id, actor_id="admin1")
    await db.dispose()
