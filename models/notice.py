"""Notices (通知公告) to building groups, and recurring notice schedules.

A notice is fanned out into one outbox row per target group (dedupe key ``notice:<id>:group:<gid>``);
the outbox rows are the per-group receipts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class NoticeStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"  # a draft waiting for a second admin
    SCHEDULED = "scheduled"  # waiting for send_at (or for quiet hours to end)
    SENDING = "sending"  # fanned out; rows are being delivered
    DONE = "done"  # every row is sent or failed
    CANCELLED = "cancelled"
    RECURRING = "recurring"  # the template of a cron schedule; each run makes a new notice


class Notice(Base):
    """One notice to a set of groups. ``target`` selects the groups (see ``NoticeTarget``)."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    msgtype: Mapped[str] = mapped_column(String(16), default="text")
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.SCHEDULED.value)
    send_at: Mapped[datetime | None]  # asked-for time (None = now)
    due_at: Mapped[datetime | None]  # when it fans out: send_at, moved past quiet hours
    author_id: Mapped[str] = mapped_column(String(128), default="")
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None]
    schedule_id: Mapped[int | None] = mapped_column(index=True)
    run_key: Mapped[str | None] = mapped_column(String(100), unique=True)  # schedule:<id>:<slot>
    total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fanned_out_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(128))


class NoticeSchedule(Base):
    """A recurring notice: a cron expression and the next run, persisted so restarts lose nothing.

    A run missed during downtime fires once on restart: after a run, ``next_run_at`` is the next slot
    after *now*, not after the missed slot.
    """

    __tablename__ = "notice_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    msgtype: Mapped[str] = mapped_column(String(16), default="text")
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cron: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    urgent: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(16), default="api")  # "config" | "api"
    author_id: Mapped[str] = mapped_column(String(128), default="")
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    last_run_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeTarget(BaseModel):
    """Which groups get a notice. ``all`` wins; otherwise a group matching ANY list is included.

    Communities, grids and buildings are given by name or numeric id; groups by chat id; tags by name
    (the seed's themed buildings: 法治楼, 敬老楼 ...).
    """

    model_config = ConfigDict(extra="forbid")

    all: bool = False
    communities: list[str | int] = Field(default_factory=list, max_length=1000)
    grids: list[str | int] = Field(default_factory=list, max_length=1000)
    buildings: list[str | int] = Field(default_factory=list, max_length=5000)
    groups: list[str] = Field(default_factory=list, max_length=5000)
    tags: list[str] = Field(default_factory=list, max_length=100)

    def is_empty(self) -> bool:
        return not (self.all or self.communities or self.grids or self.buildings or self.groups or self.tags)


class NoticeCreate(BaseModel):
    """``POST /api/notices``. ``body`` may use {building}, {grid_member}, {group_name}, {community}, {grid}."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=8000)
    target: NoticeTarget
    send_at: datetime | None = Field(default=None, description="ISO 8601 with an offset; omitted = now")
    cron: str | None = Field(
        default=None, max_length=100, description="Recurring: a 5-field cron, Asia/Shanghai"
    )
    urgent: bool = Field(default=False, description="Urgent notices go first and ignore quiet hours")
    msgtype: str = Field(default="text", pattern="^(text|markdown)$")


class NoticeRead(BaseModel):
    """A notice as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    msgtype: str
    target: dict[str, Any]
    urgent: bool
    status: str
    send_at: datetime | None
    due_at: datetime | None
    author_id: str
    approved_by: str | None
    approved_at: datetime | None
    schedule_id: int | None
    total: int
    created_at: datetime
    fanned_out_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None


class NoticeProgress(NoticeRead):
    """``GET /api/notices/{id}``: the notice with its delivery counts."""

    sent: int = 0
    failed: int = 0
    pending: int = 0
    ambiguous: int = 0
    cancelled: int = 0
    cron: str | None = None
    next_run_at: datetime | None = None


class NoticeReceipt(BaseModel):
    """One group's delivery of a notice."""

    group_id: str
    group_name: str
    channel: str
    status: str
    attempts: int
    ambiguous: bool
    sent_at: datetime | None
    last_error: str | None


class ScheduleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    title: str
    cron: str
    timezone: str
    urgent: bool
    enabled: bool
    source: str
    target: dict[str, Any]
    next_run_at: datetime | None
    last_run_at: datetime | None
    runs: int
