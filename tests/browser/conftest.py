"""A live WeiGrid (uvicorn in a thread, 127.0.0.1:<free port>) seeded with the 800-group demo, and Chromium.

The browser is Debian's Chromium (``apt-get install chromium``), never a Playwright download. Without
/usr/bin/chromium the browser tests are skipped with a message saying so. The server always runs on a
fresh SQLite file (the browser path does not depend on the database backend; the API tests cover both).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.api.deps import create_token
from bot.db import Database
from bot.demo import seed_demo
from bot.migrate import upgrade
from bot.settings import Settings
from models.auth import TokenRole
from tests.browser.live import free_port, serve
from tests.conftest import make_settings

CHROMIUM = os.environ.get("WEIGRID_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
GROUPS = int(os.environ.get("WEIGRID_BROWSER_GROUPS", "800"))


@dataclass
class Live:
    url: str
    settings: Settings
    admin_token: str
    viewer_token: str


async def _seed(settings: Settings) -> tuple[str, str]:
    info = await seed_demo(settings=settings, groups=GROUPS)
    db = Database(settings.database.url)
    try:
        async with db.unit_of_work() as session:
            viewer = await create_token(session=session, role=TokenRole.VIEWER, name="观察员")
    finally:
        await db.dispose()
    return info.admin_token, viewer


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    root = tmp_path_factory.mktemp("live")
    url = f"sqlite+aiosqlite:///{root / 'weigrid.db'}"
    upgrade(url)
    port = free_port()
    settings = make_settings(
        url,
        root / "data",
        notices={"quiet_hours": None},  # send at any hour
        rate_limits={"avoid_marks": None},  # and at :00/:30 too (bulk sends pause there by default)
        server={"public_url": f"http://127.0.0.1:{port}"},
    )
    (root / "data").mkdir(parents=True, exist_ok=True)
    admin, viewer = asyncio.run(_seed(settings))
    with serve(settings, port) as base:
        yield Live(url=base, settings=settings, admin_token=admin, viewer_token=viewer)


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def post(live: Live, request: Any) -> httpx.Response:
    """Send a prepared platform request (bot.simulator) to the live server."""
    return httpx.request(
        request.method,
        live.url + request.path,
        params=request.params,
        headers=request.headers,
        content=request.content,
    )
