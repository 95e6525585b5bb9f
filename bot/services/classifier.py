"""Classifier services: store a correction of a verdict as labelled data."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.classifier.types import Category, Subtype
from models.classifier import ClassifierCorrection

logger = logging.getLogger(__name__)


def record_correction(
    *,
    session: AsyncSession | Session,
    ticket_id: int | None,
    text: str,
    old_category: Category | str,
    old_subtype: Subtype | str | None,
    category: Category | str,
    subtype: Subtype | str | None,
    urgent: bool,
    actor_id: str,
) -> ClassifierCorrection:
    """Add a correction to the session; the caller owns the transaction and commits.

    Args:
        session: The caller's session (async or sync); nothing is flushed or committed here.
        ticket_id: The corrected ticket's number, if any.
        text: The resident's original message.
        old_category: What the classifier said.
        old_subtype: The subtype it said, if any.
        category: The corrected category.
        subtype: The corrected subtype; must be set exactly when ``category`` is ``service``.
        urgent: The corrected urgency.
        actor_id: Who corrected it (grid member or admin id).

    Returns:
        The new, pending ``ClassifierCorrection``.

    Raises:
        ValueError: If a category or subtype is not in the taxonomy, or the subtype does not fit.
    """
    new_category = Category(category)
    new_subtype = Subtype(subtype) if subtype else None
    if (new_category is Category.SERVICE) != (new_subtype is not None):
        raise ValueError("subtype is required for service and only for service")
    correction = ClassifierCorrection(
        ticket_id=ticket_id,
        text=text,
        old_category=Category(old_category).value,
        old_subtype=Subtype(old_subtype).value if old_subtype else None,
        category=new_category.value,
        subtype=new_subtype.value if new_subtype else None,
        urgent=urgent,
        actor_id=actor_id,
    )
    session.add(correction)
    logger.info(
        "classifier correction on ticket %s: %s -> %s by %s", ticket_id, old_category, new_category, actor_id
    )
    return correction
