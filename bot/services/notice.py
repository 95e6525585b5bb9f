"""Notices: create, approve, cancel, fan out to groups, progress and receipts.

* Targets: all groups, or those in given communities, grids, buildings, chat ids or tags (any match).
* Approval (``notices.require_approval``): the notice waits as a draft until a second admin, not the
  author, approves it.
* Quiet hours (default 22:00–07:00 in ``settings.timezone``): a non-urgent notice due in them waits
  until they end; urgent notices go at once.
* Templates: ``{building}``, ``{grid_member}``, ``{group_name}``, ``{community}``, ``{grid}`` are filled
  per group when fanning out.
* Fan-out is one bulk insert of one outbox row per group, keyed ``notice:<id>:group:<gid>``, so doing
  it twice adds nothing. The outbox rows are the receipts.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter
from pydantic import BaseModel, Field
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.dialect import insert_ignore
from bot.services.notice_targets import (
    FIELDS,
    NoticeError,
    check_template,
    notice_text,
    render,
    resolve_groups,
)
from bot.services.outbox import BULK, URGENT, resolve_channel
from bot.settings import Settings
from models.base import utcnow
from models.notice import Notice, NoticeCreate, NoticeSchedule, NoticeStatus, NoticeTarget
from models.outbox import OutboxMessage, OutboxStatus, TargetKind
from models.registry import Group

logger = logging.getLogger(__name__)


class QuietHours(BaseModel):
    start: time = time(22, 0)
    end: time = time(7, 0)


class NoticeConfig(BaseModel):
    """The ``notices:`` section of config.yaml."""

    require_approval: bool = False
    quiet_hours: QuietHours | None = Field(default_factory=QuietHours)

    @classmethod
    def from_settings(cls, settings: Settings) -> NoticeConfig:
        return cls.model_validate(settings.notices or {})


# -- time -----------------------------------------------------------------------------------------
def in_quiet_hours(cfg: NoticeConfig, when: datetime, tz: ZoneInfo) -> bool:
    if cfg.quiet_hours is None:
        return False
    t = when.astimezone(tz).time()
    start, end = cfg.quiet_hours.start, cfg.quiet_hours.end
    return (start <= t or t < end) if start > end else (start <= t < end)


def quiet_end(cfg: NoticeConfig, when: datetime, tz: ZoneInfo) -> datetime:
    """The end of the quiet hours that ``when`` falls in."""
    assert cfg.quiet_hours is not None
    local = when.astimezone(tz)
    end = local.replace(
        hour=cfg.quiet_hours.end.hour, minute=cfg.quiet_hours.end.minute, second=0, microsecond=0
    )
    if end <= local:
        end += timedelta(days=1)
    return end


def due_time(
    cfg: NoticeConfig, settings: Settings, *, send_at: datetime | None, urgent: bool, now: datetime
) -> datetime:
    """When a notice fans out: ``send_at`` (or now), moved past quiet hours unless urgent."""
    when = max(send_at or now, now)
    tz = ZoneInfo(settings.timezone)
    if not urgent and in_quiet_hours(cfg, when, tz):
        return quiet_end(cfg, when, tz)
    return when


MAX_AHEAD_DAYS = 366


def check_cron(cron: str, tz: str, now: datetime) -> None:
    """Refuse a cron that is not 5 fields, is invalid, or never fires within a year and a bit."""
    bad = NoticeError(
        422, "bad_cron", f"not a valid 5-field cron expression that fires within a year: {cron!r}"
    )
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise bad
    try:
        first = next_slot(cron, tz, now)
    except Exception:  # croniter gives up on dates that never come (e.g. 31 February)
        raise bad from None
    if first > now + timedelta(days=MAX_AHEAD_DAYS + 31):
        raise bad


def next_slot(cron: str, tz: str, after: datetime) -> datetime:
    """The first cron slot strictly after ``after`` (cron read in ``tz``)."""
    nxt = croniter(cron, after.astimezone(ZoneInfo(tz))).get_next(datetime)
    return nxt.astimezone(ZoneInfo("UTC"))


# -- lifecycle ------------------------------------------------------------------------------------
async def create_notice(
    *,
    session: AsyncSession,
    settings: Settings,
    data: NoticeCreate,
    author_id: str,
    now: datetime | None = None,
) -> Notice:
    """Create a notice (or, with ``cron``, a recurring schedule and its template notice).

    A notice due now (and not waiting for approval or quiet hours) is fanned out at once.
    """
    now = now or utcnow()
    cfg = NoticeConfig.from_settings(settings)
    if data.target.is_empty():
        raise NoticeError(
            422,
            "empty_target",
            "target selects nothing: give all, communities, grids, buildings, groups or tags",
        )
    check_template(data.body)
    if data.send_at is not None and data.send_at.tzinfo is None:
        raise NoticeError(422, "naive_datetime", "send_at needs a UTC offset, e.g. 2026-12-01T09:00:00+08:00")
    if data.send_at is not None and data.send_at > now + timedelta(days=MAX_AHEAD_DAYS):
        raise NoticeError(422, "too_far", f"send_at is more than {MAX_AHEAD_DAYS} days ahead")
    if data.cron is not None:
        check_cron(data.cron, settings.timezone, now)
    if data.cron is not None and data.send_at is not None:
        raise NoticeError(422, "send_at_and_cron", "give either send_at or cron, not both")
    if not (await resolve_groups(session=session, target=data.target)):
        raise NoticeError(422, "no_groups", "the target matches no registered group")
    notice = Notice(
        title=data.title,
        body=data.body,
        msgtype=data.msgtype,
        target=data.target.model_dump(),
        urgent=data.urgent,
        send_at=data.send_at,
        author_id=author_id,
        created_at=now,
    )
    if data.cron is not None:
        schedule = NoticeSchedule(
            name=f"api-{now:%Y%m%d%H%M%S%f}",
            title=data.title,
            body=data.body,
            msgtype=data.msgtype,
            target=data.target.model_dump(),
            cron=data.cron,
            timezone=settings.timezone,
            urgent=data.urgent,
            enabled=not cfg.require_approval,
            source="api",
            author_id=author_id,
            next_run_at=next_slot(data.cron, settings.timezone, now),
            created_at=now,
        )
        session.add(schedule)
        await session.flush()
        notice.schedule_id = schedule.id
        notice.status = (
            NoticeStatus.PENDING_APPROVAL.value if cfg.require_approval else NoticeStatus.RECURRING.value
        )
        session.add(notice)
        await session.flush()
        return notice
    if cfg.require_approval:
        notice.status = NoticeStatus.PENDING_APPROVAL.value
    else:
        notice.status = NoticeStatus.SCHEDULED.value
        notice.due_at = due_time(cfg, settings, send_at=data.send_at, urgent=data.urgent, now=now)
    session.add(notice)
    await session.flush()
    if notice.status == NoticeStatus.SCHEDULED.value and notice.due_at is not None and notice.due_at <= now:
        await fan_out(session=session, settings=settings, notice=notice, now=now)
    return notice


async def get_notice(*, session: AsyncSession, notice_id: int) -> Notice:
    notice = await session.get(Notice, notice_id)
    if notice is None:
        raise NoticeError(404, "not_found", f"no notice {notice_id}")
    return notice


async def approve(
    *,
    session: AsyncSession,
    settings: Settings,
    notice_id: int,
    approver_id: str,
    now: datetime | None = None,
) -> Notice:
    """A second admin approves a draft; it is then scheduled (or sent, if due)."""
    now = now or utcnow()
    notice = await get_notice(session=session, notice_id=notice_id)
    if notice.status != NoticeStatus.PENDING_APPROVAL.value:
        raise NoticeError(
            409, "not_pending", f"notice {notice_id} is {notice.status}, not waiting for approval"
        )
    if approver_id == notice.author_id:
        raise NoticeError(
            403, "same_author", "the author cannot approve their own notice; another admin must"
        )
    notice.approved_by, notice.approved_at = approver_id, now
    if notice.schedule_id is not None:
        schedule = await session.get(NoticeSchedule, notice.schedule_id)
        if schedule is not None:
            schedule.enabled = True
            schedule.next_run_at = next_slot(schedule.cron, schedule.timezone, now)
        notice.status = NoticeStatus.RECURRING.value
        return notice
    cfg = NoticeConfig.from_settings(settings)
    notice.status = NoticeStatus.SCHEDULED.value
    notice.due_at = due_time(cfg, settings, send_at=notice.send_at, urgent=notice.urgent, now=now)
    if notice.due_at <= now:
        await fan_out(session=session, settings=settings, notice=notice, now=now)
    return notice


async def cancel(
    *, session: AsyncSession, notice_id: int, actor_id: str, now: datetime | None = None
) -> Notice:
    """Stop a notice: its unsent rows are cancelled (rows already sent stay sent); a schedule stops."""
    now = now or utcnow()
    notice = await get_notice(session=session, notice_id=notice_id)
    if notice.status in (NoticeStatus.DONE.value, NoticeStatus.CANCELLED.value):
        raise NoticeError(409, "finished", f"notice {notice_id} is already {notice.status}")
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.notice_id == notice.id, OutboxMessage.status == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.CANCELLED.value, last_error=f"cancelled by {actor_id}")
    )
    if notice.schedule_id is not None and notice.status in (
        NoticeStatus.RECURRING.value,
        NoticeStatus.PENDING_APPROVAL.value,
    ):
        await session.execute(
            update(NoticeSchedule).where(NoticeSchedule.id == notice.schedule_id).values(enabled=False)
        )
    notice.status = NoticeStatus.CANCELLED.value
    notice.cancelled_at, notice.cancelled_by = now, actor_id
    return notice


async def fan_out(
    *, session: AsyncSession, settings: Settings, notice: Notice, now: datetime | None = None
) -> int:
    """One outbox row per target group, rendered per group, in one bulk insert. Idempotent."""
    now = now or utcnow()
    targets = await resolve_groups(session=session, target=NoticeTarget.model_validate(notice.target))
    values = []
    for t in targets:
        group: Group = t["group"]
        values.append(
            {
                "dedupe_key": f"notice:{notice.id}:group:{group.group_id}"[:200],
                "channel": resolve_channel(settings, group.channel),
                "target_kind": TargetKind.GROUP.value,
                "target": group.group_id,
                "group_id": group.group_id,
                "msgtype": notice.msgtype,
                "body": notice_text(notice.title, render(notice.body, t["fields"])),
                "mentions": [],
                "priority": URGENT if notice.urgent else BULK,
                "notice_id": notice.id,
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "ambiguous": False,
            }
        )
    for start in range(0, len(values), 500):
        await session.execute(insert_ignore(session, OutboxMessage.__table__), values[start : start + 500])
    notice.total = int(
        await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.notice_id == notice.id)
        )
        or 0
    )
    notice.status = NoticeStatus.SENDING.value
    notice.fanned_out_at = now
    logger.info("notice %s fanned out to %s groups", notice.id, notice.total)
    return notice.total


async def counts(*, session: AsyncSession, notice_ids: list[int]) -> dict[int, dict[str, int]]:
    """Outbox rows per status for each notice."""
    rows = await session.execute(
        select(OutboxMessage.notice_id, OutboxMessage.status, func.count())
        .where(OutboxMessage.notice_id.in_(notice_ids))
        .group_by(OutboxMessage.notice_id, OutboxMessage.status)
    )
    out: dict[int, dict[str, int]] = {i: {s.value: 0 for s in OutboxStatus} for i in notice_ids}
    for notice_id, status, n in rows.all():
        out[int(notice_id or 0)][status] = int(n)
    return out


async def progress(*, session: AsyncSession, notice: Notice) -> dict[str, Any]:
    """``status, total, sent, failed, pending, ambiguous, cancelled`` (failed includes ambiguous-and-given-up)."""
    c = (await counts(session=session, notice_ids=[notice.id]))[notice.id]
    pending = c["pending"]
    if notice.status in (NoticeStatus.SCHEDULED.value, NoticeStatus.PENDING_APPROVAL.value):
        pending = notice.total or pending
    return {
        "status": notice.status,
        "total": notice.total,
        "sent": c["sent"],
        "failed": c["failed"] + c["ambiguous"],
        "pending": pending,
        "ambiguous": c["ambiguous"],
        "cancelled": c["cancelled"],
    }


async def receipts(
    *, session: AsyncSession, notice_id: int, status: str | None = None, limit: int = 1000, offset: int = 0
) -> list[dict[str, Any]]:
    """One row per target group: channel, status, attempts, sent_at, the platform's reason."""
    query = (
        select(OutboxMessage, Group.name)
        .outerjoin(Group, Group.group_id == OutboxMessage.group_id)
        .where(OutboxMessage.notice_id == notice_id)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .offset(offset)
    )
    if status:
        query = query.where(OutboxMessage.status == status)
    rows = (await session.execute(query)).all()
    return [
        {
            "group_id": row.group_id or row.target,
            "group_name": name or "",
            "channel": row.channel,
            "status": row.status,
            "attempts": row.attempts,
            "ambiguous": row.ambiguous,
            "sent_at": row.sent_at,
            "last_error": row.last_error,
        }
        for row, name in rows
    ]


async def list_notices(
    *, session: AsyncSession, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Notice], int]:
    query = select(Notice)
    if status:
        query = query.where(Notice.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(Notice.id.desc()).limit(limit).offset(offset))
    return list(rows.all()), int(total or 0)


async def finish_done(*, session: AsyncSession, now: datetime | None = None) -> int:
    """Mark ``sending`` notices whose rows are all settled as ``done``."""
    now = now or utcnow()
    sending = list(
        (await session.scalars(select(Notice).where(Notice.status == NoticeStatus.SENDING.value))).all()
    )
    if not sending:
        return 0
    c = await counts(session=session, notice_ids=[n.id for n in sending])
    done = 0
    for notice in sending:
        if c[notice.id]["pending"] == 0:
            notice.status, notice.finished_at = NoticeStatus.DONE.value, now
            done += 1
    return done


__all__ = [
    "FIELDS",
    "NoticeError",
    "check_template",
    "notice_text",
    "render",
    "resolve_groups",
]
