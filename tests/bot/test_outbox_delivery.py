"""The outbox worker: several workers share the queue, urgent first, response_url once then the group channel."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.channels import build_adapters
from bot.db import Database
from bot.outbox_worker import OutboxWorker
from bot.services import outbox
from models.base import utcnow
from models.outbox import OutboxMessage, TargetKind
from models.registry import Group
from tests.conftest import make_settings
from tests.factories import eventually, make_registry
from tests.fakes.outbox import outbox_counts, running_worker, settings_for, settled
from tests.fakes.wecom import running_fake_wecom


async def test_two_workers_share_the_queue_and_deliver_each_row_once(db_url: str, tmp_path: Path) -> None:
    async with running_fake_wecom(chat_members=1, delay_s=0.002) as fake:
        settings = settings_for(
            make_settings, db_url, tmp_path, fake.url, outbox={"batch_size": 10, "concurrency": 8}
        )
        db = Database(settings.database.url)
        await make_registry(db, groups=300, channel="wecom", grids=3)
        async with db.unit_of_work() as session:
            for n in range(300):
                group = await session.get(Group, f"g{n}@chatroom")
                assert group is not None
                await outbox.to_group(
                    session=session, settings=settings, group=group, text=f"第{n}条", dedupe_key=f"t:{n}"
                )
        async with running_worker(db, settings, worker_id="w1"), running_worker(db, settings, worker_id="w2"):
            await eventually(lambda: settled(db), timeout=40)
        got = Counter(fake.targets("appchat"))
        assert len(got) == 300 and max(got.values()) == 1
        async with db.session() as session:
            by_worker = Counter((await session.scalars(select(OutboxMessage.claimed_by))).all())
        assert (await outbox_counts(db))["sent"] == 300
        assert set(by_worker) == {"w1", "w2"}, by_worker  # both took part
        await db.dispose()


async def test_urgent_rows_go_first(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path / "data", outbox={"batch_size": 5, "concurrency": 1})
    db = Database(settings.database.url)
    await make_registry(db, groups=1)
    async with db.unit_of_work() as session:
        group = await session.get(Group, "g0@chatroom")
        assert group is not None
        for n in range(10):
            await outbox.to_group(
                session=session,
                settings=settings,
                group=group,
                text=f"bulk{n}",
                dedupe_key=f"b:{n}",
                priority=outbox.BULK,
            )
        await outbox.to_group(
            session=session,
            settings=settings,
            group=group,
            text="紧急",
            dedupe_key="u",
            priority=outbox.URGENT,
        )
    adapters = build_adapters(settings)
    worker = OutboxWorker(db=db, settings=settings, adapters=adapters.adapters)
    await worker.drain_once()
    assert adapters.adapters["local"].delivered[0].body == "紧急"  # type: ignore[attr-defined]
    await db.dispose()


async def test_response_url_is_used_once_then_the_group_channel(db_url: str, tmp_path: Path) -> None:
    async with running_fake_wecom() as fake:
        settings = settings_for(make_settings, db_url, tmp_path, fake.url)
        db = Database(settings.database.url)
        await make_registry(db, groups=3, channel="wecom_bot")
        async with db.unit_of_work() as session:
            await session.execute(
                update(Group).where(Group.group_id == "g0@chatroom").values(robot_key="rk0")
            )
            await session.execute(
                update(Group).where(Group.group_id == "g1@chatroom").values(channel="wecom")
            )
        fresh, used = fake.new_response_url(), fake.new_response_url(ttl_s=0)
        async with db.unit_of_work() as session:
            common = {
                "session": session,
                "settings": settings,
                "channel": "wecom_bot",
                "target_kind": TargetKind.REPLY,
            }
            await outbox.enqueue(
                **common,
                dedupe_key="r1",
                target="g0@chatroom",
                group_id="g0@chatroom",
                body="一",
                reply_url=fresh,
            )
            await outbox.enqueue(
                **common,
                dedupe_key="r2",
                target="g0@chatroom",
                group_id="g0@chatroom",
                body="二",
                reply_url=used,
            )
            await outbox.enqueue(
                **common,
                dedupe_key="r3",
                target="g1@chatroom",
                group_id="g1@chatroom",
                body="三",
                reply_url=fake.new_response_url(),
            )
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.dedupe_key == "r3")
                .values(created_at=utcnow() - timedelta(hours=2))
            )
            await outbox.enqueue(
                **common,
                dedupe_key="r4",
                target="g2@chatroom",
                group_id="g2@chatroom",
                body="四",
                reply_url=used,
            )
        async with running_worker(db, settings):
            await eventually(lambda: settled(db))
        got = {d.body: (d.api, d.target) for d in fake.received}
        assert got["一"][0] == "response"
        assert got["二"] == ("robot", "rk0")  # the expired response_url fell back to the group's robot
        assert got["三"] == (
            "appchat",
            "g1@chatroom",
        )  # over an hour old: straight to the group's own channel
        async with db.session() as session:
            r4 = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "r4"))
        assert r4 is not None and r4.status == "failed" and "no robot_key" in (r4.last_error or "")
        await asyncio.sleep(0)
        await db.dispose()


async def test_bridge_rows_are_signed_paced_and_counted_against_the_daily_budget(
    db_url: str, tmp_path: Path
) -> None:
    from bot.services import delivery
    from tests.conftest import TEST_SECRETS

    async with running_fake_wecom(bridge_secret=TEST_SECRETS["bridge"]["secret"]) as fake:
        settings = settings_for(
            make_settings,
            db_url,
            tmp_path,
            fake.url,
            bridge={"min_interval_s": 0.2, "jitter_s": 0.1, "daily_budget": 50},
        )
        db = Database(settings.database.url)
        await make_registry(db, groups=4, channel="bridge")
        async with db.unit_of_work() as session:
            for n in range(4):
                group = await session.get(Group, f"g{n}@chatroom")
                assert group is not None
                await outbox.to_group(
                    session=session, settings=settings, group=group, text=f"通知{n}", dedupe_key=f"b:{n}"
                )
        started = utcnow()
        async with running_worker(db, settings):
            await eventually(lambda: settled(db))
        took = (utcnow() - started).total_seconds()
        assert fake.counters["bad_signature"] == 0 and sorted(fake.targets("bridge")) == [
            f"g{n}@chatroom" for n in range(4)
        ]
        assert {d.payload["msg_key"] for d in fake.received} == {f"b:{n}" for n in range(4)}
        assert took >= 0.6  # three gaps of at least min_interval_s
        async with db.session() as session:
            budget = await delivery.bridge_budget(session=session, settings=settings)
        assert budget["used_today"] == 4 and budget["remaining"] == 46
        await db.dispose()
