"""Business-time arithmetic and SLA policy parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.services.sla import BusinessHours, SlaConfig

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time. 2026-11-27 is a Friday."""
    return datetime(y, m, d, hh, mm, tzinfo=SH)


HOURS = BusinessHours()  # 08:30-17:30 Mon-Fri


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (at(2026, 11, 26, 9, 0), 60, at(2026, 11, 26, 10, 0)),  # inside the day
        (at(2026, 11, 26, 7, 0), 60, at(2026, 11, 26, 9, 30)),  # before opening: counts from 08:30
        (at(2026, 11, 26, 17, 0), 60, at(2026, 11, 27, 9, 0)),  # 30 min today, 30 tomorrow
        (at(2026, 11, 27, 20, 0), 60, at(2026, 11, 30, 9, 30)),  # Friday night → Monday 09:30
        (at(2026, 11, 28, 12, 0), 30, at(2026, 11, 30, 9, 0)),  # Saturday → Monday
        (at(2026, 11, 26, 17, 30), 0, at(2026, 11, 26, 17, 30)),  # zero minutes: unchanged
        (at(2026, 11, 26, 8, 30), 540, at(2026, 11, 26, 17, 30)),  # exactly one working day
        (at(2026, 11, 26, 8, 30), 1440, at(2026, 11, 30, 14, 30)),  # 24 h of work: Thu 9 h, Fri 9 h, Mon 6 h
    ],
)
def test_add_business_minutes(start: datetime, minutes: float, expected: datetime) -> None:
    assert HOURS.add(start, minutes) == expected


def test_add_returns_utc_for_utc_input() -> None:
    start = at(2026, 11, 27, 20, 0).astimezone(UTC)
    due = HOURS.add(start, 60)
    assert due.tzinfo == UTC
    assert due == at(2026, 11, 30, 9, 30)


def test_holidays_and_workdays() -> None:
    hours = BusinessHours(holidays=[date(2026, 11, 30)], workdays=[date(2026, 11, 28)])
    # Friday night: Saturday is a 调休 working day, so the hour is used on Saturday morning.
    assert hours.add(at(2026, 11, 27, 20, 0), 60) == at(2026, 11, 28, 9, 30)
    # Saturday after hours: Sunday off, Monday a holiday → Tuesday.
    assert hours.add(at(2026, 11, 28, 18, 0), 60) == at(2026, 12, 1, 9, 30)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (at(2026, 11, 26, 9, 0), at(2026, 11, 26, 10, 0), 60),
        (at(2026, 11, 27, 17, 0), at(2026, 11, 30, 9, 0), 60),  # over a weekend
        (at(2026, 11, 26, 20, 0), at(2026, 11, 26, 23, 0), 0),  # all outside hours
        (at(2026, 11, 26, 10, 0), at(2026, 11, 26, 9, 0), 0),  # end before start
    ],
)
def test_minutes_between(start: datetime, end: datetime, minutes: float) -> None:
    assert HOURS.minutes_between(start, end) == pytest.approx(minutes)


def test_add_and_minutes_between_are_inverse() -> None:
    start = at(2026, 11, 27, 16, 10)
    for minutes in (1, 45, 200, 541, 3000):
        assert HOURS.minutes_between(start, HOURS.add(start, minutes)) == pytest.approx(minutes)


def test_bad_business_hours_refused() -> None:
    with pytest.raises(ValidationError):
        BusinessHours.model_validate({"start": "18:00", "end": "08:00"})
    with pytest.raises(ValidationError):
        BusinessHours.model_validate({"weekdays": [7]})


def test_policy_defaults_and_partial_overrides() -> None:
    config = SlaConfig.model_validate({"policies": {"urgent": {"accept_minutes": 5}}})
    assert config.policy("urgent").accept_minutes == 5
    assert config.policy("urgent").resolve_minutes == 120  # unspecified keys keep the defaults
    assert config.policy("hazard").accept_minutes == 60
    assert config.policy("security").resolve_minutes == 1440
    assert config.policy("default").accept_minutes == 24 * 60
    assert config.policy("default").resolve_minutes == 7 * 24 * 60
    assert config.policy("no-such-policy") == config.policy("default")
    assert config.page_interval_minutes == 5 and config.warn_ratio == 0.8


def test_wall_clock_for_urgent_and_warn_point() -> None:
    config = SlaConfig()
    urgent = config.policy("urgent")
    start = at(2026, 11, 28, 23, 0)  # Saturday night: urgent work ignores business hours
    due = config.add(urgent, start, urgent.accept_minutes)
    assert due - start == timedelta(minutes=10)
    assert config.elapsed_point(urgent, start, due, 0.8) == start + timedelta(minutes=8)
    normal = config.policy("hazard")
    due = config.add(normal, at(2026, 11, 27, 17, 0), 60)
    assert due == at(2026, 11, 30, 9, 0)
    # 80% of the 60 business minutes = 48: 30 on Friday, 18 on Monday
    assert config.elapsed_point(normal, at(2026, 11, 27, 17, 0), due, 0.8) == at(2026, 11, 30, 8, 48)


def test_unknown_escalation_level_refused() -> None:
    with pytest.raises(ValidationError):
        SlaConfig.model_validate({"escalation": ["mayor"]})
