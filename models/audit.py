"""The audit log: one row per admin action (who, what, on what, before/after, when, from where).

Rows are append-only. The audit service (``bot.services.audit``) writes them in the same unit of work
as the change they describe, so an action and its audit row commit (or roll back) together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditLog(Base):
    """One admin action: ``actor`` did ``action`` to ``target``; ``before``/``after`` are JSON snapshots."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16), default="api")  # api | console
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AuditRead(BaseModel):
    """The API view of an audit row."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    actor: str
    role: str
    action: str
    target: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None
    via: str
    at: datetime
