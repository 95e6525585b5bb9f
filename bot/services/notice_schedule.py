"""Recurring notices and due work: the scheduler's notice tick calls :func:`run_due`.

* Schedules live in ``notice_schedules`` with ``next_run_at``; they survive restarts.
* A run missed during downtime fires once: after a run, ``next_run_at`` moves to the first slot after
  *now*, never to the missed slots in between. Each run's notice carries ``run_key``
  ``schedule:<id>:<slot>`` (unique), so two ticks can never make the same run twice.
* ``schedules:`` in config.yaml is loaded into rows by name (idempotent): a changed cron or text updates
  the row; a row no longer in the config is left alone (disable it with ``enabled: false``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.notice import (
    NoticeConfig,
    NoticeError,
    check_template,
    due_time,
    fan_out,
    finish_done,
    next_slot,
)
from bot.settings import Settings
from models.base import utcnow
from models.notice import Notice, NoticeSchedule, NoticeStatus, NoticeTarget

logger = logging.getLogger(__name__)


class ScheduleConfig(BaseModel):
    """One entry of the ``schedules:`` list in config.yaml."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1)
    cron: str
    target: NoticeTarget = Field(default_factory=lambda: NoticeTarget(all=True))
    urgent: bool = False
    enabled: bool = True
    msgtype: str = "text"


def parse_schedules(settings: Settings) -> list[ScheduleConfig]:
    """The configured schedules, validated (a bad cron or template field is an error naming the entry)."""
    out = []
    for n, raw in enumerate(settings.schedules or []):
        entry = ScheduleConfig.model_validate(raw)
        if not croniter.is_valid(entry.cron):
            raise ValueError(f"schedules[{n}] {entry.name}: bad cron {entry.cron!r}")
        try:
            check_template(entry.body)
        except NoticeError as exc:
            raise ValueError(f"schedules[{n}] {entry.name}: {exc.message}") from None
        out.append(entry)
    return out


async def load_config_schedules(
    *, session: AsyncSession, settings: Settings, now: datetime | None = None
) -> int:
    """Insert or update the config's schedules by name. Returns how many rows changed."""
    now = now or utcnow()
    changed = 0
    for entry in parse_schedules(settings):
        row = await session.scalar(select(NoticeSchedule).where(NoticeSchedule.name == entry.name))
        target = entry.target.model_dump()
        if row is None:
            row = NoticeSchedule(
                name=entry.name, source="config", author_id="config", created_at=now, cron=entry.cron
            )
            row.next_run_at = next_slot(entry.cron, settings.timezone, now)
            session.add(row)
        elif (row.cron, row.title, row.body, row.target, row.urgent, row.enabled, row.msgtype) == (
            entry.cron,
            entry.title,
            entry.body,
            target,
            entry.urgent,
            entry.enabled,
            entry.msgtype,
        ):
            continue
        elif row.cron != entry.cron or (entry.enabled and not row.enabled):
            row.next_run_at = next_slot(entry.cron, settings.timezone, now)
        row.cron, row.title, row.body, row.target = entry.cron, entry.title, entry.body, target
        row.urgent, row.enabled, row.msgtype, row.timezone = (
            entry.urgent,
            entry.enabled,
            entry.msgtype,
            settings.timezone,
        )
        changed += 1
    return changed


async def run_schedules(
    *, session: AsyncSession, settings: Settings, now: datetime | None = None
) -> list[Notice]:
    """Start one run of every schedule that is due, and move each to its next slot after ``now``."""
    now = now or utcnow()
    cfg = NoticeConfig.from_settings(settings)
    due = (
        await session.scalars(
            select(NoticeSchedule).where(NoticeSchedule.enabled.is_(True), NoticeSchedule.next_run_at <= now)
        )
    ).all()
    made = []
    for schedule in due:
        slot = schedule.next_run_at or now
        run_key = f"schedule:{schedule.id}:{slot:%Y%m%dT%H%M}"
        exists = await session.scalar(select(Notice.id).where(Notice.run_key == run_key))
        if exists is None:
            notice = Notice(
                title=schedule.title,
                body=schedule.body,
                msgtype=schedule.msgtype,
                target=schedule.target,
                urgent=schedule.urgent,
                status=NoticeStatus.SCHEDULED.value,
                send_at=slot,
                due_at=due_time(cfg, settings, send_at=now, urgent=schedule.urgent, now=now),
                author_id=f"schedule:{schedule.name}",
                approved_by=schedule.author_id or None,
                schedule_id=schedule.id,
                run_key=run_key,
                created_at=now,
            )
            session.add(notice)
            await session.flush()
            made.append(notice)
            missed = (
                ""
                if (now - slot).total_seconds() < 120
                else f" (missed slot {slot:%Y-%m-%d %H:%M} UTC, run once now)"
            )
            logger.info("schedule %s: run %s created%s", schedule.name, notice.id, missed)
        schedule.last_run_at = now
        schedule.runs += 1
        schedule.next_run_at = next_slot(schedule.cron, schedule.timezone, now)
    return made


async def run_due(
    *, session: AsyncSession, settings: Settings, now: datetime | None = None
) -> dict[str, Any]:
    """The notice tick: start due schedule runs, fan out due notices, and close finished ones."""
    now = now or utcnow()
    runs = await run_schedules(session=session, settings=settings, now=now)
    due = (
        await session.scalars(
            select(Notice)
            .where(Notice.status == NoticeStatus.SCHEDULED.value, Notice.due_at <= now)
            .order_by(Notice.urgent.desc(), Notice.id)
        )
    ).all()
    rows = 0
    for notice in due:
        rows += await fan_out(session=session, settings=settings, notice=notice, now=now)
    done = await finish_done(session=session, now=now)
    return {"runs": len(runs), "fanned_out": len(due), "rows": rows, "done": done}
