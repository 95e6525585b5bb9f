"""The outbox: every outbound message is a row; only the outbox worker talks to platforms."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanent error, or attempts exhausted; ``last_error`` says why
    AMBIGUOUS = "ambiguous"  # timed out after the request was sent: may or may not have arrived
    CANCELLED = "cancelled"


class TargetKind(StrEnum):
    GROUP = "group"  # a building group, by group_id
    USER = "user"  # a person, by platform user id (WeCom message/send)
    REPLY = "reply"  # an intelligent-robot response_url, falling back to the group


class OutboxMessage(Base):
    """One message to deliver. ``dedupe_key`` makes enqueueing idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    target_kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(1024))
    group_id: Mapped[str | None] = mapped_column(String(128), index=True)
    msgtype: Mapped[str] = mapped_column(String(16), default="text")
    body: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    reply_url: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(default=5)  # 0 = urgent, first out
    notice_id: Mapped[int | None] = mapped_column(index=True)
    ticket_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    ambiguous: Mapped[bool] = mapped_column(default=False)  # some attempt timed out after sending
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
