"""Disputes (矛盾纠纷): noise, leaks between flats, parking, pets, shared space, family and tenancy rows."""

from __future__ import annotations

from collections.abc import Sequence

from bot.classifier.types import Category, Hit
from handlers.categories.base import CategoryScorer


class DisputeScorer(CategoryScorer):
    """Scores neighbour and family disputes.

    A dispute is never urgent by itself: once it comes to blows the security keywords
    (打起来了, 动手) outweigh it and the message becomes an urgent security report.
    """

    category = Category.DISPUTE

    def is_urgent(self, hits: Sequence[Hit]) -> bool:
        """Disputes are handled by mediation, never as an emergency."""
        return False
