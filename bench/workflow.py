"""Ticket workflow figures: report → routed ticket through the real dispatcher, and the SLA sweep.

Run: ``.venv/bin/python -m bench.workflow [--tickets 2000] [--reports 500]``. Uses a fresh SQLite file
(WAL) in a temporary directory and prints:

* reports/s through InboxWorker.process (classify → inhibition check → merge check → open → route →
  alerts + reply in the outbox), one unit of work per message, as the worker runs it;
* the SLA sweep over N open tickets when nothing is due (the steady state every 30 s), and when every
  ticket has breached (one escalation level each).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.classifier import ClassifierHolder
from bot.db import Database
from bot.messages import IncomingMessage
from bot.migrate import upgrade
from bot.services import inbox, registry
from bot.services.ticket import open_or_merge
from bot.settings import Settings
from bot.workers import InboxWorker
from handlers import build_dispatcher
from models.base import utcnow
from models.inbox import InboxMessage
from models.ticket import Ticket
from scheduler.ticket import sweep
from tests.bot.services.ticket_helpers import verdict
from tests.factories import make_registry

TEXTS = [
    "{b}栋楼道里有人拉飞线给电动车充电",
    "{b}栋电梯坏了，麻烦物业来修一下",
    "楼上{b}02天天半夜吵，孩子睡不着",
    "{b}栋门口垃圾好几天没人清理了",
    "想咨询一下离婚财产怎么分，{b}栋的",
]


def settings_for(url: str, data: Path) -> Settings:
    overrides: dict[str, Any] = {  # on top of config.yaml
        "mode": "local",
        "database": {"url": url},
        "server": {"data_dir": data, "run_workers": False, "run_scheduler": False},
        "sla": {"policies": {"hazard": {"business_hours": False}, "default": {"business_hours": False}}},
    }
    return Settings(**overrides)


async def reports(db: Database, settings: Settings, groups: int, count: int) -> float:
    classifier = ClassifierHolder(settings.classifier_rules_path())
    worker = InboxWorker(db=db, settings=settings, dispatcher=build_dispatcher(), classifier=classifier)
    ids = []
    async with db.unit_of_work() as session:
        for i in range(count):
            msg = IncomingMessage(
                channel="bridge", msg_id=f"b{i}", group_id=f"g{i % groups}@chatroom", sender_id=f"r{i}",
                text=TEXTS[i % len(TEXTS)].format(b=i % 97 + 1), received_at=utcnow(),
            )  # fmt: skip
            await inbox.accept(session=session, msg=msg, raw={})
    async with db.session() as session:
        ids = list((await session.scalars(select(InboxMessage.id).order_by(InboxMessage.id))).all())
    start = time.perf_counter()
    for row_id in ids:
        await worker.process(row_id)
    return time.perf_counter() - start


async def open_many(db: Database, settings: Settings, groups: int, count: int) -> None:
    async with db.unit_of_work() as session:
        for i in range(count):
            group = await registry.get_group(session=session, group_id=f"g{i % groups}@chatroom")
            msg = IncomingMessage(
                channel="bridge", msg_id=f"s{i}", group_id=group.group_id if group else None, sender_id=f"s{i}",
                text=f"编号{i}的问题：楼道消防通道被堵{i}", received_at=utcnow(),
            )  # fmt: skip
            await open_or_merge(
                session=session, settings=settings, msg=msg, verdict=verdict("hazard"), group=group
            )


async def main(tickets: int, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        upgrade(f"sqlite:///{path}")
        settings = settings_for(f"sqlite+aiosqlite:///{path}", Path(tmp))
        db = Database(settings.database.url)
        await make_registry(db, groups=200, grids=10)
        elapsed = await reports(db, settings, 200, count)
        async with db.session() as session:
            made = await session.scalar(select(func.count()).select_from(Ticket))
        print(
            f"reports: {count} in {elapsed:.2f}s = {count / elapsed:.0f} reports/s ({made} tickets after merges)"
        )
        # merging off for the sweep set-up: every row its own ticket
        await open_many(
            db, settings.model_copy(update={"routing": {"merge": {"enabled": False}}}), 200, tickets
        )
        async with db.session() as session:
            open_count = await session.scalar(select(func.count()).select_from(Ticket))
        start = time.perf_counter()
        quiet = await sweep(db=db, settings=settings, now=utcnow())
        t_quiet = time.perf_counter() - start
        print(
            f"SLA sweep, nothing due: {open_count} open tickets scanned ({quiet.checked} with work) in {t_quiet * 1000:.0f} ms"
        )
        start = time.perf_counter()
        late = await sweep(db=db, settings=settings, now=utcnow() + timedelta(hours=2))
        t_late = time.perf_counter() - start
        print(
            f"SLA sweep, all breached: {late.escalated} escalations over {open_count} tickets in {t_late * 1000:.0f} ms"
        )
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--reports", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.tickets, args.reports))
