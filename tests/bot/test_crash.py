"""kill -9 right after the acks, then restart: every acknowledged message is processed, none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.demo import group_id, seed_demo
from bot.settings import Settings
from bot.simulator import bridge_request
from bot.spool import spool_path
from models.inbox import InboxMessage
from models.ticket import Ticket, TicketReporter
from tests.conftest import ROOT, TEST_SECRETS

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIGRID_")}
    env.update(
        {
            "WEIGRID_MODE": "local",
            "WEIGRID_DATABASE__URL": settings.database.url,
            "WEIGRID_SERVER__DATA_DIR": str(settings.server.data_dir),
            "WEIGRID_WECOM__CORP_ID": settings.wecom.corp_id,
            "WEIGRID_INBOX__POLL_INTERVAL_S": "0.05",
        }
    )
    for section, values in TEST_SECRETS.items():
        for key, value in values.items():
            env[f"WEIGRID_{section.upper()}__{key.upper()}"] = value
    return env


def start_server(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-migrate"],
        cwd=ROOT,
        env=server_env(settings),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"server did not start: {log.read_text()[-2000:]}")


def spooled_ids(settings: Settings) -> set[str]:
    """Message ids acknowledged but not yet moved from the ingest spool (SQLite; bot/spool.py)."""
    path = spool_path(settings.database.url)
    if path is None or not path.exists():
        return set()
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT msg_id FROM spool WHERE moved = 0")}


async def inbox_ids(db: Database) -> set[str]:
    async with db.session() as s:
        return set((await s.scalars(select(InboxMessage.msg_id))).all())


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as s:
        rows = await s.execute(select(InboxMessage.status, func.count()).group_by(InboxMessage.status))
        by_status = {k: int(v) for k, v in rows.all()}
        tickets = int(await s.scalar(select(func.count()).select_from(Ticket)) or 0)
        reports = int(await s.scalar(select(func.count()).select_from(TicketReporter)) or 0)
    return {
        "reports": reports,
        "received": sum(by_status.values()),
        "done": by_status.get("done", 0),
        "pending": by_status.get("pending", 0),
        "tickets": tickets,
    }


async def test_kill_9_after_acks_then_restart_processes_everything_once(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    groups = 60
    await seed_demo(settings=settings, groups=groups)
    texts = [
        "{n}栋楼道里有人拉飞线给电动车充电",
        "收到",
        "{n}单元门口的垃圾好几天没人清理了，臭得很",
        "谢谢楼栋长",
    ]
    messages: list[Any] = []
    for i in range(240):
        text = texts[i % len(texts)].format(n=i)
        messages.append(
            bridge_request(
                settings, group_id=group_id(i % groups), sender=f"wxid_{i}", text=text, msg_id=f"crash-{i}"
            )
        )
    reports = sum(1 for i in range(240) if i % 4 in (0, 2))

    port = free_port()
    log = tmp_path / "server.log"
    proc = start_server(settings, port, log)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            sem = asyncio.Semaphore(20)

            async def post(req: Any) -> int:
                async with sem:
                    resp = await client.post(req.path, headers=req.headers, content=req.content)
                    return resp.status_code

            statuses = await asyncio.gather(*(post(m) for m in messages))
        assert set(statuses) == {200}
    finally:
        proc.send_signal(signal.SIGKILL)  # no shutdown hooks, no lease release
        proc.wait(timeout=10)

    after_kill = await counts(db)
    spooled = spooled_ids(settings)
    # Every ack was backed by a committed row: in the inbox table, or (SQLite) still in the spool.
    assert after_kill["received"] + len(spooled) >= len(messages)
    assert await inbox_ids(db) | spooled == {f"crash-{i}" for i in range(len(messages))}

    proc = start_server(settings, free_port(), log)
    try:
        deadline = time.monotonic() + 60  # leases of the killed process run out after inbox.lease_s (10 s)
        while time.monotonic() < deadline:
            now = await counts(db)
            if now["done"] == now["received"] and now["pending"] == 0:
                break
            await asyncio.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    final = await counts(db)
    assert final["received"] == len(messages)
    assert final["done"] == final["received"], (after_kill, final, log.read_text()[-3000:])
    assert final["pending"] == 0
    # Every report is recorded exactly once: opened a ticket or joined one (repeat reports in a group merge).
    assert final["reports"] == reports
    assert 0 < final["tickets"] <= reports


async def test_web_only_process_plus_worker_process(settings: Settings, db: Database, tmp_path: Path) -> None:
    """Split deployment: the web process only acknowledges; `weigrid worker` dispatches and delivers."""
    await seed_demo(settings=settings, groups=5)
    port = free_port()
    log = tmp_path / "split.log"
    env = server_env(settings) | {
        "WEIGRID_SERVER__RUN_WORKERS": "false",
        "WEIGRID_SERVER__RUN_SCHEDULER": "false",
    }
    web = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-migrate"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    worker = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        req = bridge_request(
            settings, group_id=group_id(1), sender="wxid_x", text="楼道里闻到很浓的煤气味", msg_id="split-1"
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200
        await asyncio.sleep(1.0)
        assert (await counts(db))["pending"] == 1  # the web process does not dispatch
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=ROOT,
            env=server_env(settings),
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (await counts(db))["tickets"] == 0:
            await asyncio.sleep(0.2)
        final = await counts(db)
        assert final["tickets"] == 1 and final["pending"] == 0, log.read_text()[-2000:]
    finally:
        for proc in (web, worker):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=15)
