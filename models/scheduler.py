"""Leases that make exactly one process run a singleton (the scheduler) across all workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Lease(Base):
    """A named lease: held by ``holder`` until ``expires_at``; the holder renews it by heartbeat."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
