"""The shared scoring rule: sum of distinct keyword weights, scaled by message cues."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from bot.classifier.scoring import combine
from bot.classifier.types import Category, CategoryScore, Hit


class CategoryScorer:
    """Scores one category from its keyword hits.

    Subclasses set ``category`` and may override :meth:`is_urgent` or :meth:`score`.
    A term that occurs several times counts once, so repeating "着火了着火了" does not
    outweigh two different cues.
    """

    category: ClassVar[Category]

    def is_urgent(self, hits: Sequence[Hit]) -> bool:
        """Return True when a hit marks danger now."""
        return any(hit.urgent for hit in hits)

    def score(self, hits: Sequence[Hit], factor: float, damping: float = 1.0) -> CategoryScore:
        """Score the hits that belong to this category.

        Args:
            hits: Hits for this category, in message order, after negation.
            factor: Product of the message-level cue factors for this category.
            damping: Product of the factors below 1 alone; at or below ``bot.classifier.scoring.STRONG_DAMPING``
                only the strongest cue counts fully (see :func:`bot.classifier.scoring.combine`).

        Returns:
            The category's score, urgency and the matched terms.
        """
        seen: dict[str, float] = {}
        for hit in hits:
            seen.setdefault(hit.term, hit.weight)
        return CategoryScore(
            category=self.category,
            score=combine(seen.values(), damping) * factor,
            urgent=self.is_urgent(hits),
            matched=tuple(seen),
        )
