"""kill -9 mid-broadcast: a worker SUBPROCESS is killed while sending to the fake WeCom, then restarted.

Every group still gets the notice; duplicates are limited to the rows in flight at the kill.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot.db import Database
from bot.services import notice as notices
from models.notice import NoticeCreate, NoticeTarget
from models.outbox import OutboxMessage
from tests.conftest import ROOT, TEST_SECRETS, make_settings
from tests.factories import eventually, make_registry
from tests.fakes.wecom import running_fake_wecom

GROUPS = 200
CONCURRENCY = 8

pytestmark = pytest.mark.slow


def start_worker(config: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (config.parent / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.outbox_runner"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def test_kill_9_mid_broadcast_then_restart_delivers_to_every_group(db_url: str, tmp_path: Path) -> None:
    async with running_fake_wecom(delay_s=0.02, chat_members=1) as fake:
        settings = make_settings(
            db_url,
            tmp_path / "data",
            wecom={"enabled": True, "api_base": fake.url},
            notices={"quiet_hours": None},
        )
        db = Database(settings.database.url)
        reg = await make_registry(db, groups=GROUPS, channel="wecom", grids=4)
        config = tmp_path / "config.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "mode": "local",
                    "database": {"url": db_url},
                    "server": {"data_dir": str(tmp_path / "data")},
                    "wecom": {
                        "enabled": True,
                        "corp_id": "wwtestcorp0000001",
                        "agent_id": 1000002,
                        "api_base": fake.url,
                        "timeout_s": 2.0,
                    },
                    "outbox": {
                        "poll_interval_s": 0.05,
                        "lease_s": 2.0,
                        "concurrency": CONCURRENCY,
                        "backoff_base_s": 0.1,
                        "backoff_max_s": 0.5,
                    },
                    "rate_limits": {"avoid_marks": None},
                }
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGRID_")}
        env.update(
            WEIGRID_CONFIG=str(config),
            WEIGRID_WECOM__CORP_SECRET=TEST_SECRETS["wecom"]["corp_secret"],
            WEIGRID_SERVER__SESSION_SECRET=TEST_SECRETS["server"]["session_secret"],
            PYTHONPATH=str(ROOT),
        )
        async with db.unit_of_work() as session:
            notice = await notices.create_notice(
                session=session,
                settings=settings,
                author_id="admin1",
                data=NoticeCreate(
                    title="停水通知", body="明天9点到12点停水。", target=NoticeTarget(all=True)
                ),
            )
        proc = start_worker(config, env)
        try:
            try:
                await eventually(lambda: _delivered(fake, 60), timeout=30)
            except AssertionError:
                raise AssertionError((tmp_path / "worker.log").read_text()[-3000:]) from None
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        at_kill = len(fake.received)
        assert at_kill < GROUPS, "the broadcast finished before the kill; slow the fake down"
        restarted = start_worker(config, env)
        try:
            await eventually(lambda: _all_sent(db, notice.id), timeout=60)
        finally:
            restarted.send_signal(signal.SIGTERM)
            try:
                restarted.wait(timeout=10)
            except subprocess.TimeoutExpired:
                restarted.kill()
        got = Counter(fake.targets("appchat"))
        assert set(got) == set(reg["groups"])
        duplicates = sum(n - 1 for n in got.values())
        print(f"kill -9 after {at_kill}/{GROUPS} delivered; {duplicates} duplicate(s) after the restart")
        assert duplicates <= CONCURRENCY, f"{duplicates} duplicates with {CONCURRENCY} in flight"
        await db.dispose()


async def _delivered(fake: object, n: int) -> bool:
    return len(fake.received) >= n  # type: ignore[attr-defined]


async def _all_sent(db: Database, notice_id: int) -> bool:
    async with db.session() as session:
        n = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.notice_id == notice_id, OutboxMessage.status == "sent")
        )
    await asyncio.sleep(0)
    return int(n or 0) == GROUPS
