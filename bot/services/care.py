"""Care schedules (儿女团, 周末好儿女): due dates, reminders, confirmations, overdue reports, stats.

Periods are in ``settings.timezone``: a visit is due by Sunday evening of each ISO week, chores by the
end of each month, a problem solved by the end of each quarter, and a birthday on the household's
birthday. The volunteer is reminded ``remind_lead_h`` hours before (a WeCom app message); a period
still not done ``grace_h`` hours after it was due is reported to the grid member, once.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import outbox
from bot.services.dialect import insert_ignore
from bot.settings import Settings
from models.base import utcnow
from models.care import CARE_NAMES, CareDue, CareHousehold, CarePairing, CareVisit
from models.registry import Building, Group, Person, PersonAccount, Role

logger = logging.getLogger(__name__)


class CareConfig(BaseModel):
    """The ``care:`` section of config.yaml."""

    enabled: bool = True
    due_hour: int = Field(default=20, ge=0, le=23)  # local hour at which a period's work is due
    grace_h: float = Field(default=24.0, ge=0)  # after due_at + grace, an undone period is reported
    remind_lead_h: dict[str, float] = Field(
        default_factory=lambda: {"visit": 35.0, "chores": 72.0, "problem": 168.0, "birthday": 72.0}
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> CareConfig:
        return cls.model_validate(settings.care or {})


class CareError(Exception):
    """A refused care operation: ``reply`` is the short Chinese answer for chat, ``status`` for the API."""

    def __init__(self, reply: str, status: int = 422, code: str = "care_error") -> None:
        super().__init__(reply)
        self.reply = reply
        self.status = status
        self.code = code


# -- periods --------------------------------------------------------------------------------------
def current_period(
    kind: str, now: datetime, tz: ZoneInfo, cfg: CareConfig, birth_date: date | None = None
) -> tuple[str, datetime] | None:
    """The period of ``kind`` that ``now`` falls in, and when its work is due (UTC)."""
    local = now.astimezone(tz)
    day = local.date()
    if kind == "visit":
        iso = day.isocalendar()
        due_day = day + timedelta(days=7 - iso.weekday)
        period = f"{iso.year}-W{iso.week:02d}"
    elif kind == "chores":
        nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        due_day, period = nxt - timedelta(days=1), f"{day:%Y-%m}"
    elif kind == "problem":
        q = (day.month - 1) // 3 + 1
        nxt = date(day.year + (q == 4), (q % 4) * 3 + 1, 1)
        due_day, period = nxt - timedelta(days=1), f"{day.year}-Q{q}"
    elif kind == "birthday":
        if birth_date is None:
            return None
        year = day.year
        due_day = _birthday_in(birth_date, year)
        if (
            datetime(due_day.year, due_day.month, due_day.day, tzinfo=tz)
            + timedelta(days=1, hours=cfg.grace_h)
            < local
        ):
            year += 1
            due_day = _birthday_in(birth_date, year)
        period = str(year)
    else:
        return None
    due = datetime(due_day.year, due_day.month, due_day.day, cfg.due_hour, tzinfo=tz)
    return period, due.astimezone(ZoneInfo("UTC"))


def _birthday_in(birth: date, year: int) -> date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February
        return date(year, 2, 28)


# -- people ---------------------------------------------------------------------------------------
async def wecom_user(session: AsyncSession, person_id: str) -> str:
    """A person's WeCom user id (their roster id when no account is recorded)."""
    user = await session.scalar(
        select(PersonAccount.user_id).where(
            PersonAccount.person_id == person_id, PersonAccount.channel == "wecom"
        )
    )
    return user or person_id


async def grid_member_for(session: AsyncSession, group_id: str | None) -> str | None:
    """The grid member who covers a household's group (the group's own, else the grid's)."""
    if not group_id:
        return None
    group = await session.get(Group, group_id)
    if group is None:
        return None
    if group.grid_member_id:
        return group.grid_member_id
    grid_id = await session.scalar(select(Building.grid_id).where(Building.id == group.building_id))
    if grid_id is None:
        return None
    return await session.scalar(
        select(Person.person_id)
        .where(Person.grid_id == grid_id, Person.role == Role.GRID_MEMBER.value, Person.active.is_(True))
        .order_by(Person.person_id)
    )


# -- the tick -------------------------------------------------------------------------------------
async def run_due(
    *, session: AsyncSession, settings: Settings, now: datetime | None = None
) -> dict[str, int]:
    """Create this period's due rows, remind volunteers, report overdue periods. Idempotent."""
    now = now or utcnow()
    cfg = CareConfig.from_settings(settings)
    if not cfg.enabled:
        return {"created": 0, "reminded": 0, "reported": 0}
    tz = ZoneInfo(settings.timezone)
    created = reminded = reported = 0
    pairs = (
        await session.execute(
            select(CarePairing, CareHousehold)
            .join(CareHousehold, CareHousehold.code == CarePairing.household_code)
            .where(CarePairing.active.is_(True), CareHousehold.active.is_(True))
        )
    ).all()
    households = {p.id: h for p, h in pairs}
    pairings = {p.id: p for p, _ in pairs}
    for pairing, household in pairs:
        for kind in pairing.cadences or []:
            cur = current_period(kind, now, tz, cfg, household.birth_date)
            if cur is None:
                continue
            period, due_at = cur
            remind_at = due_at - timedelta(hours=cfg.remind_lead_h.get(kind, 24.0))
            result = await session.execute(
                insert_ignore(session, CareDue.__table__)
                .values(pairing_id=pairing.id, kind=kind, period=period, remind_at=remind_at, due_at=due_at)
                .returning(CareDue.__table__.c.id)
            )
            created += int(result.first() is not None)
    grace = timedelta(hours=cfg.grace_h)
    open_dues = (
        await session.scalars(
            select(CareDue).where(
                CareDue.done_at.is_(None), CareDue.remind_at <= now, CareDue.reported_at.is_(None)
            )
        )
    ).all()
    for due in open_dues:
        found_pairing, found_household = pairings.get(due.pairing_id), households.get(due.pairing_id)
        if found_pairing is None or found_household is None:
            continue
        pairing, household = found_pairing, found_household
        what = CARE_NAMES.get(due.kind, due.kind)
        local_due = due.due_at.astimezone(tz)
        if due.due_at + grace <= now:
            member = await grid_member_for(session, household.group_id)
            if member is not None:
                volunteer = await session.get(Person, pairing.volunteer_id)
                text = (
                    f"【关爱逾期】{household.name}（户号#{household.code}）本期{what}未完成"
                    f"（应于{local_due:%m月%d日}前），结对志愿者：{volunteer.name if volunteer else pairing.volunteer_id}。请跟进。"
                )
                await outbox.to_user(
                    session=session,
                    settings=settings,
                    user_id=await wecom_user(session, member),
                    text=text,
                    dedupe_key=f"care:overdue:{due.id}",
                )
            due.reported_at = now
            reported += 1
        elif due.reminded_at is None:
            text = (
                f"【关爱提醒】请于{local_due:%m月%d日}前为{household.name}（户号#{household.code}，{household.address}）"
                f"完成{what}。完成后在群里或私聊回复：已走访 #{household.code}（或 已完成 #{household.code} 说明）"
            )
            await outbox.to_user(
                session=session,
                settings=settings,
                user_id=await wecom_user(session, pairing.volunteer_id),
                text=text,
                dedupe_key=f"care:remind:{due.id}",
            )
            due.reminded_at = now
            reminded += 1
    return {"created": created, "reminded": reminded, "reported": reported}


# -- confirmations --------------------------------------------------------------------------------
_KIND_CUES = (
    ("birthday", ("生日", "蛋糕", "寿")),
    ("chores", ("家务", "打扫", "做饭", "清洁", "洗")),
    ("problem", ("问题", "解决", "维修", "办理", "修好")),
)
CONFIRM = re.compile(r"^\s*(已走访|已完成)\s*[#＃]?\s*([A-Za-z0-9\-]+)\s*(.*)$", re.S)


def parse_confirmation(text: str) -> tuple[str, str, str] | None:
    """``已走访 #A101`` / ``已完成 #A101 说明`` → (verb, household code, note); tolerant of ＃ and full-width."""
    m = CONFIRM.match(unicodedata.normalize("NFKC", text))
    return (m.group(1), m.group(2).upper(), m.group(3).strip()) if m else None


async def confirm(
    *,
    session: AsyncSession,
    settings: Settings,
    actor_id: str,
    actor_role: str,
    verb: str,
    code: str,
    note: str,
    source_msg: str | None = None,
    now: datetime | None = None,
) -> tuple[CareVisit, int]:
    """Record a visit (or other care work) and close this period's due. Returns the visit and the month's count."""
    now = now or utcnow()
    cfg = CareConfig.from_settings(settings)
    tz = ZoneInfo(settings.timezone)
    household = await session.get(CareHousehold, code)
    if household is None:
        raise CareError(f"没有找到户号 #{code}，请核对后再发。", status=404, code="not_found")
    pairing = await session.scalar(
        select(CarePairing).where(CarePairing.household_code == code, CarePairing.volunteer_id == actor_id)
    )
    if pairing is None and actor_role not in (
        Role.ADMIN.value,
        Role.GRID_MEMBER.value,
        Role.GRID_LEADER.value,
    ):
        raise CareError(f"你没有与户号 #{code} 结对，无法登记。", status=403, code="not_paired")
    kind = "visit"
    if verb == "已完成":
        kind = next((k for k, cues in _KIND_CUES if any(c in note for c in cues)), "")
        if not kind and pairing is not None:
            pending = await session.scalar(
                select(CareDue.kind)
                .where(
                    CareDue.pairing_id == pairing.id,
                    CareDue.done_at.is_(None),
                    CareDue.kind != "visit",
                    CareDue.remind_at <= now,
                )
                .order_by(CareDue.due_at)
            )
            kind = pending or "visit"
        kind = kind or "visit"
    if source_msg is not None:
        existing = await session.scalar(select(CareVisit).where(CareVisit.source_msg == source_msg))
        if existing is not None:
            return existing, await month_count(session=session, code=code, now=now, tz=tz)
    volunteer = await session.get(Person, actor_id)
    visit = CareVisit(
        household_code=code,
        volunteer_id=actor_id,
        team=volunteer.team if volunteer else None,
        kind=kind,
        note=note[:500],
        source_msg=source_msg,
        done_at=now,
    )
    session.add(visit)
    if pairing is not None and kind in (pairing.cadences or []):
        cur = current_period(kind, now, tz, cfg, household.birth_date)
        if cur is not None:
            due = await session.scalar(
                select(CareDue).where(
                    CareDue.pairing_id == pairing.id, CareDue.kind == kind, CareDue.period == cur[0]
                )
            )
            if due is None:
                due = CareDue(
                    pairing_id=pairing.id,
                    kind=kind,
                    period=cur[0],
                    due_at=cur[1],
                    remind_at=cur[1] - timedelta(hours=cfg.remind_lead_h.get(kind, 24.0)),
                )
                session.add(due)
            due.done_at = due.done_at or now
    await session.flush()
    return visit, await month_count(session=session, code=code, now=now, tz=tz)


async def month_count(*, session: AsyncSession, code: str, now: datetime, tz: ZoneInfo) -> int:
    local = now.astimezone(tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return int(
        await session.scalar(
            select(func.count())
            .select_from(CareVisit)
            .where(CareVisit.household_code == code, CareVisit.done_at >= start)
        )
        or 0
    )


# -- stats ----------------------------------------------------------------------------------------
async def stats(
    *, session: AsyncSession, settings: Settings, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Care work counted per household, per team, per month (local) and per kind."""
    tz = ZoneInfo(settings.timezone)
    query = select(CareVisit.household_code, CareVisit.team, CareVisit.kind, CareVisit.done_at)
    if since is not None:
        query = query.where(CareVisit.done_at >= since)
    if until is not None:
        query = query.where(CareVisit.done_at < until)
    rows = (await session.execute(query)).all()
    names = dict((await session.execute(select(CareHousehold.code, CareHousehold.name))).all())
    by_household: dict[str, int] = {}
    by_team: dict[str, int] = {}
    by_month: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for code, team, kind, done_at in rows:
        by_household[code] = by_household.get(code, 0) + 1
        by_team[team or "unassigned"] = by_team.get(team or "unassigned", 0) + 1
        month = done_at.astimezone(tz).strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + 1
        by_kind[kind] = by_kind.get(kind, 0) + 1
    overdue = int(
        await session.scalar(
            select(func.count()).select_from(CareDue).where(CareDue.reported_at.is_not(None))
        )
        or 0
    )
    return {
        "total": len(rows),
        "by_household": [
            {"code": c, "name": names.get(c, ""), "count": n} for c, n in sorted(by_household.items())
        ],
        "by_team": by_team,
        "by_month": dict(sorted(by_month.items())),
        "by_kind": by_kind,
        "overdue_reported": overdue,
    }
