"""Tickets (工单) and their append-only event log.

A ticket's ``number`` is its human-facing id (``#N``). The state machine lives in the ticket service;
this module only holds the data.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class TicketStatus(StrEnum):
    NEW = "new"  # 受理
    ASSIGNED = "assigned"  # 分拨
    ACCEPTED = "accepted"  # 签收
    IN_PROGRESS = "in_progress"  # 处置
    RESOLVED = "resolved"  # 办结
    CLOSED = "closed"  # 归档
    RETURNED = "returned"  # 退单: wrong routing, back to dispatch
    REOPENED = "reopened"  # 重办
    MERGED = "merged"
    DUPLICATE = "duplicate"


OPEN_STATUSES = frozenset(
    {
        TicketStatus.NEW,
        TicketStatus.ASSIGNED,
        TicketStatus.ACCEPTED,
        TicketStatus.IN_PROGRESS,
        TicketStatus.RETURNED,
        TicketStatus.REOPENED,
    }
)


class Ticket(Base):
    """One resident report (or several merged ones)."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status_urgent", "status", "urgent"),)
    number: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(16), index=True)
    subtype: Mapped[str | None] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.NEW.value)
    group_id: Mapped[str | None] = mapped_column(ForeignKey("groups.group_id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    reporter_id: Mapped[str] = mapped_column(String(128))
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    flat: Mapped[str | None] = mapped_column(String(32))  # room number found in the text, for dispute merges
    confidence: Mapped[float] = mapped_column(default=0.0)
    matched: Mapped[list[str]] = mapped_column(JSON, default=list)
    source_inbox_id: Mapped[int | None] = mapped_column(unique=True)
    reply_url: Mapped[str | None] = mapped_column(Text)
    private_report: Mapped[bool] = mapped_column(
        default=False
    )  # reported in a private chat: updates go there
    assignee_id: Mapped[str | None] = mapped_column(String(64), index=True)
    assignee_team: Mapped[str | None] = mapped_column(String(32))
    cc: Mapped[list[str]] = mapped_column(JSON, default=list)
    report_count: Mapped[int] = mapped_column(default=1)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("tickets.number"))
    accept_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(default=0)
    warned_at: Mapped[datetime | None]
    last_paged_at: Mapped[datetime | None]
    page_count: Mapped[int] = mapped_column(default=0)  # urgent re-pages sent (dedupe key part)
    sla_policy: Mapped[str | None] = mapped_column(String(32))  # the SLA name the routing rule chose
    sla_started_at: Mapped[datetime | None]  # start of the current SLA phase (for the 80% warning)
    sla_cycle: Mapped[int] = mapped_column(default=0)  # bumped whenever deadlines are reset (dedupe key part)
    reopen_count: Mapped[int] = mapped_column(default=0)
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    feedback_asked_at: Mapped[datetime | None]
    satisfied: Mapped[bool | None]
    feedback_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )


class TicketEvent(Base):
    """An append-only record of one change: who, what, from → to, note, when."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_number: Mapped[int] = mapped_column(ForeignKey("tickets.number", ondelete="CASCADE"), index=True)
    actor_id: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketReporter(Base):
    """Each report that fed a ticket (the first, and every merged one)."""

    __tablename__ = "ticket_reporters"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_number: Mapped[int] = mapped_column(ForeignKey("tickets.number", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[str] = mapped_column(String(128))
    group_id: Mapped[str | None] = mapped_column(String(128))
    inbox_id: Mapped[int | None] = mapped_column(unique=True)
    text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketRead(BaseModel):
    """The API view of a ticket."""

    model_config = ConfigDict(from_attributes=True)
    number: int
    category: str
    subtype: str | None
    urgent: bool
    status: str
    group_id: str | None
    reporter_id: str
    text: str
    created_at: datetime
    assignee_id: str | None = None
    report_count: int = 1
    accept_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    updated_at: datetime | None = None
    assignee_team: str | None = None
    cc: list[str] = []
    escalation_level: int = 0
    merged_into: int | None = None
    satisfied: bool | None = None


class TicketEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    actor_id: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None
    at: datetime
