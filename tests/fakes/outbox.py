"""Test helpers around the real outbox worker: settings pointed at a fake, and a worker run in the background."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.channels import build_adapters
from bot.db import Database
from bot.outbox_worker import OutboxWorker
from bot.settings import Settings
from models.outbox import OutboxMessage, OutboxStatus

FAST_OUTBOX = {"poll_interval_s": 0.02, "backoff_base_s": 0.05, "backoff_max_s": 0.3, "lease_s": 30.0}


def channel_overrides(
    url: str, *, robot: bool = True, bridge: bool = True, **rate_limits: Any
) -> dict[str, Any]:
    """Settings overrides that send every channel to the fake at ``url`` (no :00/:30 pacing in tests)."""
    return {
        "wecom": {"enabled": True, "api_base": url, "timeout_s": 1.0},
        "wecom_bot": {"enabled": robot},
        "bridge": {
            "enabled": bridge,
            "send_url": f"{url}/bridge/send",
            "min_interval_s": 0.0,
            "jitter_s": 0.0,
        },
        "outbox": FAST_OUTBOX,
        "rate_limits": {"avoid_marks": None, **rate_limits},
        "notices": {"quiet_hours": None},  # tests run at any hour
    }


def settings_for(make_settings: Any, db_url: str, tmp_path: Path, url: str, **extra: Any) -> Settings:
    overrides = channel_overrides(url)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(overrides.get(key), dict):
            overrides[key] = {**overrides[key], **value}
        else:
            overrides[key] = value
    return make_settings(db_url, tmp_path / "data", **overrides)  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def running_worker(db: Database, settings: Settings, **kwargs: Any) -> AsyncIterator[OutboxWorker]:
    """Run a real OutboxWorker (real adapters and limiter) until the block ends."""
    adapters = build_adapters(settings)
    worker = OutboxWorker(
        db=db, settings=settings, adapters=adapters.adapters, limiter=adapters.limiter, **kwargs
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
        await adapters.aclose()


async def outbox_counts(db: Database, notice_id: int | None = None) -> dict[str, int]:
    async with db.session() as session:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        if notice_id is not None:
            query = query.where(OutboxMessage.notice_id == notice_id)
        rows = dict((await session.execute(query)).all())
    return {s.value: int(rows.get(s.value, 0)) for s in OutboxStatus}


async def settled(db: Database, notice_id: int | None = None) -> bool:
    return (await outbox_counts(db, notice_id))["pending"] == 0
