"""Inhibitions (抑制): declared outages and planned work (停水, 停电, 电梯维保, 燃气检修).

While an inhibition is in force, matching reports from its scope are not ticketed: the bot answers
with the inhibition's notice instead, and each suppressed report is logged as an ``InhibitionHit``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class InhibitionKind(StrEnum):
    WATER = "停水"
    POWER = "停电"
    ELEVATOR = "电梯维保"
    GAS = "燃气检修"
    OTHER = "other"


class ScopeKind(StrEnum):
    ALL = "all"  # the whole community
    GROUPS = "groups"  # by platform chat id
    BUILDINGS = "buildings"  # by building id
    GRIDS = "grids"  # by grid id


class Inhibition(Base):
    """One declared outage or planned work, with its scope, filters and time window."""

    __tablename__ = "inhibitions"
    __table_args__ = (Index("ix_inhibitions_window", "starts_at", "ends_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # ids as strings
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty = any category
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty = the kind's defaults
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    notice: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    hits: Mapped[int] = mapped_column(default=0)


class InhibitionHit(Base):
    """A report that an inhibition kept from becoming a ticket (text redacted)."""

    __tablename__ = "inhibition_hits"
    id: Mapped[int] = mapped_column(primary_key=True)
    inhibition_id: Mapped[int] = mapped_column(ForeignKey("inhibitions.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[str | None] = mapped_column(String(128))
    reporter_id: Mapped[str] = mapped_column(String(128))
    inbox_id: Mapped[int | None] = mapped_column(unique=True)
    category: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class InhibitionRead(BaseModel):
    """The API view of an inhibition."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    scope_kind: str
    scope_ids: list[str]
    categories: list[str]
    keywords: list[str]
    starts_at: datetime
    ends_at: datetime
    notice: str
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None = None
    hits: int = 0
