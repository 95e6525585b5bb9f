"""Care schedules (儿女团, 周末好儿女): volunteers paired with households that need looking after.

A pairing carries cadences (weekly visit, monthly chores, quarterly problem solved, yearly birthday).
Each cadence has one due row per period (``CareDue``); the care job reminds the volunteer before it is
due and reports an overdue one to the grid member. ``CareVisit`` records what was done.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class HouseholdKind(StrEnum):
    ELDERLY_ALONE = "elderly_alone"  # 独居老人
    DISABLED = "disabled"  # 残疾人
    LEFT_BEHIND_CHILD = "left_behind_child"  # 留守儿童


class CareKind(StrEnum):
    VISIT = "visit"  # 每周走访
    CHORES = "chores"  # 每月帮做家务
    PROBLEM = "problem"  # 每季度解决一个问题
    BIRTHDAY = "birthday"  # 每年过一次生日


CARE_NAMES = {"visit": "走访", "chores": "家务帮扶", "problem": "解决问题", "birthday": "过生日"}
DEFAULT_CADENCES = ["visit", "chores", "problem", "birthday"]


class CareHousehold(Base):
    """A household the volunteers look after, by its 户号 (``code``)."""

    __tablename__ = "care_households"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(32), default=HouseholdKind.ELDERLY_ALONE.value)
    group_id: Mapped[str | None] = mapped_column(String(128), index=True)
    birth_date: Mapped[date | None]
    address: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CarePairing(Base):
    """A volunteer paired with a household, with the cadences they keep."""

    __tablename__ = "care_pairings"
    __table_args__ = (UniqueConstraint("volunteer_id", "household_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[str] = mapped_column(String(64), index=True)
    household_code: Mapped[str] = mapped_column(
        ForeignKey("care_households.code", ondelete="CASCADE"), index=True
    )
    cadences: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CareDue(Base):
    """One cadence's current period for a pairing: when it is due, and what happened to it."""

    __tablename__ = "care_dues"
    __table_args__ = (UniqueConstraint("pairing_id", "kind", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("care_pairings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))  # 2026-W48, 2026-11, 2026-Q4, 2026
    remind_at: Mapped[datetime]
    due_at: Mapped[datetime] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]  # overdue, reported to the grid member


class CareVisit(Base):
    """Something a volunteer did for a household (a visit, chores, a problem solved, a birthday)."""

    __tablename__ = "care_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    household_code: Mapped[str] = mapped_column(String(32), index=True)
    volunteer_id: Mapped[str] = mapped_column(String(64), index=True)
    team: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    source_msg: Mapped[str | None] = mapped_column(String(200), unique=True)  # channel:msg_id (idempotent)
    done_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PairingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    volunteer_id: str = Field(min_length=1, max_length=64)
    household_code: str = Field(min_length=1, max_length=32)
    cadences: list[CareKind] = Field(default_factory=lambda: [CareKind(c) for c in DEFAULT_CADENCES])


class PairingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    volunteer_id: str
    household_code: str
    cadences: list[str]
    active: bool
    created_at: datetime


class HouseholdRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str
    group_id: str | None
    birth_date: date | None
    address: str
