"""The durable inbox: every accepted platform message, committed before the platform gets its 200."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class InboxStatus(StrEnum):
    PENDING = "pending"  # waiting for the worker
    DONE = "done"  # dispatched; its effects committed in the same transaction
    FAILED = "failed"  # gave up after max attempts (kept, visible to admins)
    HELD = "held"  # from a group not in the registry: kept for admins to adopt


class InboxMessage(Base):
    """One platform message, deduplicated by (channel, msg_id)."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "msg_id"),
        Index("ix_inbox_status_claim", "status", "claimed_until"),
        Index("ix_inbox_status_priority", "status", "priority", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    msg_id: Mapped[str] = mapped_column(String(128))
    group_id: Mapped[str | None] = mapped_column(String(128), index=True)
    group_name: Mapped[str | None] = mapped_column(String(200))
    sender_id: Mapped[str] = mapped_column(String(128))
    sender_name: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text, default="")
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    reply_url: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING.value)
    # 0 = the classifier saw an emergency at ingest: dispatched first, never held back for acks.
    priority: Mapped[int] = mapped_column(default=5)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
