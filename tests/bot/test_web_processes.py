"""`weigrid serve --web-processes 2`: two processes on one port, every message processed once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.db import Database
from bot.demo import group_id, seed_demo
from bot.settings import Settings
from bot.simulator import bridge_request
from tests.bot.test_crash import counts, free_port, server_env
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def children(pid: int) -> list[int]:
    """Child processes of ``pid`` (of any of its threads: the supervisor thread restarts them)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(found)


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT and /proc are Linux")
async def test_two_web_processes_share_the_port_and_every_message_is_processed_once(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    groups = 40
    await seed_demo(settings=settings, groups=groups)
    port = free_port()
    log = tmp_path / "serve.log"
    cmd = [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-migrate", "--web-processes", "2"]
    primary = subprocess.Popen(
        cmd, cwd=ROOT, env=server_env(settings), stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    try:
        wait_for(
            lambda: healthy(port) and len(children(primary.pid)) == 1, 30, "the primary and its web process"
        )
        (child,) = children(primary.pid)
        texts = ["{n}栋楼道里有人拉飞线给电动车充电", "收到", "{n}栋楼道里闻到很浓的煤气味", "谢谢楼栋长"]
        messages = [
            bridge_request(
                settings,
                group_id=group_id(i % groups),
                sender=f"wxid_{i}",
                text=texts[i % len(texts)].format(n=i),
                msg_id=f"wp-{i}",
            )
            for i in range(200)
        ]
        child_cpu = cpu_s(child)
        # A fresh connection per request, so that the kernel spreads them over both processes; each
        # message is sent twice (a platform retry), possibly to different processes.
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=10
        ) as client:
            sem = asyncio.Semaphore(16)

            async def post(req: Any) -> int:
                async with sem:
                    return (await client.post(req.path, headers=req.headers, content=req.content)).status_code

            statuses = await asyncio.gather(*(post(m) for m in messages + messages))
        assert set(statuses) == {200}
        assert cpu_s(child) - child_cpu > 0.02, "the web process served none of the requests"

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = await counts(db)
            if now["received"] == len(messages) and now["done"] == now["received"]:
                break
            await asyncio.sleep(0.2)
        final = await counts(db)
        assert final["received"] == len(messages), log.read_text()[-3000:]  # each once, retries dropped
        assert final["done"] == len(messages) and final["pending"] == 0
        assert final["reports"] == 100  # the two report texts, every other message, each recorded once

        # SIGHUP reloads the rules in every process (the primary forwards it).
        primary.send_signal(signal.SIGHUP)
        wait_for(
            lambda: log.read_text().count("rules reloaded on SIGHUP") == 2, 15, "both processes to reload"
        )

        # A web process that dies is started again; the port keeps answering meanwhile.
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: children(primary.pid) not in ([], [child]), 15, "a new web process")
        (restarted,) = children(primary.pid)
        wait_for(
            lambda: log.read_text().count("Application startup complete") == 3, 30, "the new one to serve"
        )
        assert healthy(port)
    finally:
        primary.terminate()
        primary.wait(timeout=20)
    # uvicorn ends by re-raising the SIGTERM it handled: -15 is a clean stop, like 0
    assert primary.returncode in (0, -signal.SIGTERM), log.read_text()[-3000:]
    wait_for(lambda: not Path(f"/proc/{restarted}").exists(), 5, "the web process to exit with the primary")
    text = log.read_text()
    assert "started 1 web process(es)" in text and "starting it again" in text
    assert text.count("Application shutdown complete") == 2  # the restarted web process stopped cleanly too


def test_web_processes_option_rejects_nonsense() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--web-processes", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "web-processes" in out.stderr
