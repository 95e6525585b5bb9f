"""SLA policies (时限) and the business-time calculator.

The ``sla:`` section of config.yaml names policies (``urgent``, ``hazard``, ``security``, ``default``...)
with an accept and a resolve limit in minutes. A routing rule picks the policy by name. Non-urgent
policies count business time only (``sla.business_hours``, e.g. 08:30-17:30 Mon-Fri, Asia/Shanghai):
a report at 20:00 on Friday with a 60-minute accept limit is due at 09:30 on Monday.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator, model_validator

from bot.settings import Settings

_MAX_DAYS = 3660  # a calculation never walks further than ten years


class BusinessHours(BaseModel):
    """Working time for non-urgent deadlines.

    Attributes:
        start: Start of the working day (local time).
        end: End of the working day (local time), after ``start``.
        weekdays: Working weekdays, Monday = 0.
        holidays: Dates off even if on a working weekday (法定节假日).
        workdays: Dates worked even if on a weekend (调休).
        timezone: The people's timezone.
    """

    start: time = time(8, 30)
    end: time = time(17, 30)
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _check(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError("sla.business_hours: end must be after start")
        if any(d < 0 or d > 6 for d in self.weekdays):
            raise ValueError("sla.business_hours: weekdays are 0 (Monday) .. 6 (Sunday)")
        ZoneInfo(self.timezone)
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        tz = self.tz
        return datetime.combine(day, self.start, tzinfo=tz), datetime.combine(day, self.end, tzinfo=tz)

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of business time after ``start`` (returned in UTC)."""
        remaining = timedelta(minutes=max(minutes, 0.0))
        if not remaining:
            return start
        cursor = start.astimezone(self.tz)
        for _ in range(_MAX_DAYS):
            day = cursor.date()
            if self.is_workday(day):
                open_at, close_at = self._window(day)
                if cursor < open_at:
                    cursor = open_at
                if cursor < close_at:
                    available = close_at - cursor
                    if remaining <= available:
                        return (cursor + remaining).astimezone(start.tzinfo or self.tz)
                    remaining -= available
            cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        raise ValueError("sla.business_hours has no working time in the next ten years")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        total = timedelta()
        cursor = start.astimezone(self.tz)
        end_local = end.astimezone(self.tz)
        for _ in range(_MAX_DAYS):
            day = cursor.date()
            if day > end_local.date():
                break
            if self.is_workday(day):
                open_at, close_at = self._window(day)
                lo, hi = max(cursor, open_at), min(close_at, end_local)
                if hi > lo:
                    total += hi - lo
            cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        return total.total_seconds() / 60


class SlaPolicy(BaseModel):
    """One named time limit.

    Attributes:
        accept_minutes: From dispatch to 签收.
        resolve_minutes: From dispatch to 办结.
        business_hours: Count only business time (non-urgent work).
        escalation_interval_minutes: Time between two escalation levels after a breach.
    """

    accept_minutes: float = Field(gt=0)
    resolve_minutes: float = Field(gt=0)
    business_hours: bool = True
    escalation_interval_minutes: float = Field(default=240, gt=0)


DEFAULT_POLICIES: dict[str, dict[str, Any]] = {
    "urgent": {
        "accept_minutes": 10,
        "resolve_minutes": 120,
        "business_hours": False,
        "escalation_interval_minutes": 15,
    },
    "hazard": {"accept_minutes": 60, "resolve_minutes": 1440, "escalation_interval_minutes": 60},
    "security": {"accept_minutes": 60, "resolve_minutes": 1440, "escalation_interval_minutes": 60},
    "default": {"accept_minutes": 1440, "resolve_minutes": 10080, "escalation_interval_minutes": 480},
}


class SlaConfig(BaseModel):
    """The parsed ``sla:`` section."""

    policies: dict[str, SlaPolicy] = Field(default_factory=dict, validate_default=True)
    warn_ratio: float = Field(default=0.8, gt=0, lt=1)
    page_interval_minutes: float = Field(default=5, gt=0)
    feedback_timeout_hours: float = Field(default=72, gt=0)
    escalation: list[str] = Field(default_factory=lambda: ["grid_leader", "admins"])
    business_hours: BusinessHours = Field(default_factory=BusinessHours)

    @field_validator("policies", mode="before")
    @classmethod
    def _merge_defaults(cls, value: Any) -> Any:
        merged: dict[str, Any] = {k: dict(v) for k, v in DEFAULT_POLICIES.items()}
        for name, policy in (value or {}).items():
            merged[name] = {**merged.get(name, {}), **(policy or {})}
        return merged

    @field_validator("escalation")
    @classmethod
    def _known_levels(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in ("grid_leader", "admins")]
        if bad:
            raise ValueError(f"sla.escalation: unknown level(s) {bad}; use grid_leader and/or admins")
        return value

    def policy(self, name: str | None) -> SlaPolicy:
        """The named policy, else ``default``."""
        return self.policies.get(name or "default") or self.policies["default"]

    def add(self, policy: SlaPolicy, start: datetime, minutes: float) -> datetime:
        """``start`` plus ``minutes`` of the policy's clock (business time or wall time)."""
        if policy.business_hours:
            return self.business_hours.add(start, minutes)
        return start + timedelta(minutes=minutes)

    def elapsed_point(self, policy: SlaPolicy, start: datetime, due: datetime, ratio: float) -> datetime:
        """The moment ``ratio`` of the way from ``start`` to ``due`` on the policy's clock."""
        if policy.business_hours:
            span = self.business_hours.minutes_between(start, due)
            return self.business_hours.add(start, span * ratio)
        return start + (due - start) * ratio


def sla_config(settings: Settings) -> SlaConfig:
    """The ``sla:`` section as a typed model (defaults when empty)."""
    return _parse(_freeze(settings.sla))


@lru_cache(maxsize=8)
def _parse(frozen: str) -> SlaConfig:
    import json

    return SlaConfig.model_validate(json.loads(frozen))


def _freeze(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)
