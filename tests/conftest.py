"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL), settings, the app, clients.

Choose the backend with WEIGRID_TEST_DB=sqlite|postgres (default sqlite). PostgreSQL tests use
WEIGRID_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/weigrid_test_<pid>); the
database is created for the run and dropped at the end, and tables are truncated between tests.
When no server answers, the PostgreSQL run is skipped with a clear message.
"""

from __future__ import annotations

import os
import secrets
import shutil
import string
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import models
from bot.app import create_app
from bot.db import Database, sync_url
from bot.migrate import upgrade
from bot.settings import Settings

BACKEND = os.environ.get("WEIGRID_TEST_DB", "sqlite")
ROOT = Path(__file__).resolve().parent.parent


def random_secret(n: int = 32) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


TEST_SECRETS = {
    "wecom": {
        "token": random_secret(),
        "encoding_aes_key": random_secret(43),
        "corp_secret": random_secret(),
    },
    "wecom_bot": {"token": random_secret(), "encoding_aes_key": random_secret(43)},
    "bridge": {"secret": random_secret()},
    "server": {"session_secret": random_secret()},
}


def _pg_admin_url(url: str) -> str:
    return make_url(sync_url(url)).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = os.environ.get(
        "WEIGRID_TEST_PG_URL", f"postgresql+psycopg://postgres@127.0.0.1:5432/weigrid_test_{os.getpid()}"
    )
    admin = create_engine(_pg_admin_url(url), isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.skip(
            f"PostgreSQL is not reachable at {make_url(url).host}:{make_url(url).port} ({type(exc).__name__})"
        )
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrations run once per session)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _truncate_all(url: str) -> None:
    engine = create_engine(sync_url(url))
    tables = ", ".join(f'"{t.name}"' for t in models.Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for this test."""
    if BACKEND == "postgres":
        url: str = request.getfixturevalue("pg_url")
        _truncate_all(url)
        return url
    template: Path = request.getfixturevalue("sqlite_template")
    target = tmp_path / "weigrid.db"
    shutil.copy(template, target)
    return f"sqlite+aiosqlite:///{target}"


def make_settings(db_url: str, data_dir: Path, **overrides: Any) -> Settings:
    """Test settings: local mode, real generated-looking secrets, fast polling."""
    init: dict[str, Any] = {
        "mode": "local",
        "database": {"url": db_url},
        "server": {"data_dir": data_dir, "session_secret": TEST_SECRETS["server"]["session_secret"]},
        "wecom": {"corp_id": "wwtestcorp0000001", **TEST_SECRETS["wecom"], "agent_id": 1000002},
        "wecom_bot": TEST_SECRETS["wecom_bot"],
        "bridge": TEST_SECRETS["bridge"],
        "inbox": {"poll_interval_s": 0.05},
        "outbox": {"poll_interval_s": 0.05},
        # Bulk sends pause around :00 and :30 by default; tests must not depend on the wall clock.
        # tests/bot/channels/test_ratelimit.py tests the pause itself with a fake clock.
        "rate_limits": {"avoid_marks": None},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(init.get(key), dict):
            init[key] = {**init[key], **value}
        else:
            init[key] = value
    return Settings(**init)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path / "data")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database.url)
    yield database
    await database.dispose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The whole app with its lifespan running (workers and scheduler included)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
