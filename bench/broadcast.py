"""Broadcast bench: 800 building groups through the real outbox worker to a fake WeCom over loopback HTTP.

The fake (tests/fakes/wecom.py) runs in its own process (uvicorn on 127.0.0.1), enforces WeCom's published
limits and answers 45009 when they are broken. The sender side is the real thing: SQLite database, notice
fan-out, OutboxWorker, limiter and channel adapters, exactly as ``weigrid serve`` builds them.

Scenarios (each on a fresh database):

1. ``unlimited``: appchat, no pacing and no limits on the fake: time to deliver all 800.
2. ``robot-limits``: 800 groups over 10 group robots. To keep the run short the robot window is scaled from
   20 per 60 s to 20 per 3 s, on the fake and in the limiter alike: at the limit, the count of 45009 must be 0.
3. ``faults``: 30% of calls fail (15% HTTP 502, 15% deliver and then hang past the client timeout, i.e.
   ambiguous), plus one forced token expiry halfway: delivered must be 800/800, duplicates ≤ ambiguous sends.
4. The same faults on ``message/send`` to 800 people, where WeCom's ``enable_duplicate_check`` drops the
   retry of a send that had in fact arrived.

Run: ``.venv/bin/python bench/broadcast.py`` (about a minute; every scenario has a deadline, the whole run
stops by itself within ~2 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from bot.channels import build_adapters  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.outbox_worker import OutboxWorker  # noqa: E402
from bot.services import notice as notices  # noqa: E402
from bot.services import outbox  # noqa: E402
from models.notice import NoticeCreate, NoticeTarget  # noqa: E402
from models.outbox import OutboxMessage  # noqa: E402
from models.registry import Group  # noqa: E402
from tests.conftest import TEST_SECRETS, make_settings  # noqa: E402
from tests.factories import make_registry  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_fake(port: int) -> None:
    """The fake WeCom in its own process."""
    import uvicorn

    from tests.fakes.wecom import FakeWeCom

    fake = FakeWeCom(seed=7, hang_s=1.2)
    uvicorn.run(fake.app(), host="127.0.0.1", port=port, log_level="error", access_log=False, backlog=4096)


class Fake:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(base_url=url, timeout=10)

    async def control(self, **body: Any) -> None:
        (await self.http.post("/_fake/control", json=body)).raise_for_status()

    async def stats(self) -> dict[str, Any]:
        return dict((await self.http.get("/_fake/stats")).json())


async def scenario(
    fake: Fake,
    *,
    name: str,
    groups: int,
    channel: str,
    knobs: dict[str, Any],
    rate_limits: dict[str, Any],
    robots: int = 0,
    expire_at: int | None = None,
    deadline_s: float = 40.0,
    concurrency: int = 32,
    users: bool = False,
) -> dict[str, Any]:
    await fake.control(knobs=knobs, reset=True)
    tmp = Path(tempfile.mkdtemp(prefix="weigrid-bench-"))
    url = f"sqlite:///{tmp}/bench.db"
    upgrade(url)
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp}/bench.db",
        tmp / "data",
        wecom={
            "enabled": True,
            "api_base": fake.url,
            "timeout_s": 0.5,
            "corp_secret": TEST_SECRETS["wecom"]["corp_secret"],
        },
        wecom_bot={"enabled": True},
        outbox={
            "poll_interval_s": 0.05,
            "concurrency": concurrency,
            "batch_size": 50,
            "backoff_base_s": 0.2,
            "backoff_max_s": 2.0,
            "max_attempts": 20,
            "lease_s": 30,
        },
        rate_limits={"avoid_marks": None, **rate_limits},
        notices={"quiet_hours": None},
    )
    db = Database(settings.database.url)
    await make_registry(db, groups=groups, channel=channel, grids=16)
    if robots:
        async with db.unit_of_work() as session:
            for n in range(groups):
                await session.execute(
                    update(Group)
                    .where(Group.group_id == f"g{n}@chatroom")
                    .values(robot_key=f"robot{n % robots}")
                )
    adapters = build_adapters(settings)
    worker = OutboxWorker(db=db, settings=settings, adapters=adapters.adapters, limiter=adapters.limiter)
    stop = asyncio.Event()
    async with db.unit_of_work() as session:
        if users:  # app messages to people (message/send, with WeCom's duplicate check)
            for n in range(groups):
                text = f"工单#{n} 已分派给你，请及时接单。"
                await outbox.to_user(
                    session=session, settings=settings, user_id=f"user{n}", text=text, dedupe_key=f"bench:{n}"
                )
        else:
            await notices.create_notice(
                session=session,
                settings=settings,
                author_id="bench",
                data=NoticeCreate(
                    title="安全提示",
                    body="{building}的居民：冬季用气安全，请检查燃气阀门。",
                    target=NoticeTarget(all=True),
                ),
            )
    started = time.perf_counter()
    task = asyncio.create_task(worker.run(stop))
    expired = False
    sent = 0
    while time.perf_counter() - started < deadline_s:
        await asyncio.sleep(0.1)
        async with db.session() as session:
            sent = int(
                await session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
                )
                or 0
            )
            pending = int(
                await session.scalar(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
                )
                or 0
            )
        if expire_at is not None and not expired and sent >= expire_at:
            await fake.control(expire_tokens=True)
            expired = True
        if pending == 0:
            break
    took = time.perf_counter() - started
    stop.set()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(task, timeout=10)
    await adapters.aclose()
    async with db.session() as session:
        ambiguous = int(
            await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.ambiguous.is_(True))
            )
            or 0
        )
        attempts = int(await session.scalar(select(func.sum(OutboxMessage.attempts))) or 0)
    await db.dispose()
    stats = await fake.stats()
    per_target = stats["per_target"]
    delivered_targets = len(per_target)
    duplicates = sum(n - 1 for n in per_target.values())
    c = stats["counters"]
    return {
        "scenario": name,
        "targets": groups,
        "seconds": round(took, 2),
        "rows_sent": sent,
        "delivered_targets": delivered_targets,
        "duplicates": duplicates,
        "ambiguous_rows": ambiguous,
        "attempts": attempts,
        "calls": c.get("calls", 0),
        "rate_limited_45009": c.get("rate_limited", 0),
        "injected_5xx": c.get("injected_5xx", 0),
        "injected_timeouts": c.get("injected_timeout", 0),
        "gettoken": c.get("gettoken", 0),
        "expired_token_answers": c.get("expired_token", 0),
        "duplicates_suppressed_by_wecom": c.get("duplicates_suppressed", 0),
        "limiter_wait_s": round(worker.limiter.waited_s, 1) if worker.limiter else 0,
    }


async def main(groups: int) -> list[dict[str, Any]]:
    port = free_port()
    proc = multiprocessing.get_context("spawn").Process(target=run_fake, args=(port,), daemon=True)
    proc.start()
    fake = Fake(f"http://127.0.0.1:{port}")
    for _ in range(100):
        try:
            await fake.stats()
            break
        except httpx.HTTPError:
            await asyncio.sleep(0.1)
    results = []
    try:
        results.append(
            await scenario(
                fake,
                name="unlimited (appchat)",
                groups=groups,
                channel="wecom",
                knobs={"enforce_limits": False, "fail_rate": 0.0, "timeout_rate": 0.0},
                rate_limits={"enabled": False},
            )
        )
        results.append(
            await scenario(
                fake,
                name="robot limits, 20 per 3 s, 10 robots",
                groups=groups,
                channel="wecom_bot",
                robots=10,
                knobs={
                    "enforce_limits": True,
                    "robot_limit": [20, 3.0],
                    "fail_rate": 0.0,
                    "timeout_rate": 0.0,
                },
                rate_limits={"rules": {"robot": {"limit": 20, "per_s": 3.0}}, "max_wait_s": 5.0},
                deadline_s=50,
            )
        )
        results.append(
            await scenario(
                fake,
                name="30% 5xx/timeouts + token expiry",
                groups=groups,
                channel="wecom",
                knobs={
                    "enforce_limits": True,
                    "chat_members": 10,
                    "fail_rate": 0.15,
                    "timeout_rate": 0.15 / 0.85,
                },
                rate_limits={"appchat_members": 10},
                expire_at=groups // 2,
                deadline_s=40,
            )
        )
        results.append(
            await scenario(
                fake,
                name="30% 5xx/timeouts, message/send to people",
                groups=groups,
                channel="wecom",
                users=True,
                knobs={"enforce_limits": True, "fail_rate": 0.15, "timeout_rate": 0.15 / 0.85},
                rate_limits={},
                deadline_s=30,
            )
        )
    finally:
        await fake.http.aclose()
        proc.terminate()
        proc.join(5)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=800)
    args = parser.parse_args()
    for r in asyncio.run(main(args.groups)):
        print(r["scenario"])
        for key, value in r.items():
            if key != "scenario":
                print(f"  {key:24} {value}")
