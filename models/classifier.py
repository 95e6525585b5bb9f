"""Corrections of the classifier's verdicts, kept as labelled data for tuning ``rules.yaml``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class ClassifierCorrection(Base):
    """A grid member's or admin's correction of a ticket's category (one labelled message).

    ``weigrid rules suggest`` reads these to propose keywords; nothing is applied automatically.
    """

    __tablename__ = "classifier_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.number", ondelete="SET NULL"), index=True, nullable=True
    )
    text: Mapped[str] = mapped_column(Text)
    old_category: Mapped[str] = mapped_column(String(16))
    old_subtype: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16), index=True)
    subtype: Mapped[str | None] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(default=False)
    actor_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
