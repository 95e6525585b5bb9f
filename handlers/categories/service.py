"""Service requests (服务请求) routed to one of the five volunteer teams."""

from __future__ import annotations

from collections.abc import Sequence

from bot.classifier.types import Category, CategoryScore, Hit, Subtype
from handlers.categories.base import CategoryScorer


class ServiceScorer(CategoryScorer):
    """Scores service requests and picks the volunteer team (subtype).

    The subtype is the one whose distinct keywords weigh most; on a tie the subtype
    mentioned first wins, since residents usually lead with what they need. Only an urgent
    keyword of the chosen subtype makes the request urgent ("摔伤了 ... 想找律师" is legal
    advice about a past fall, not an emergency).
    """

    category = Category.SERVICE

    def score(self, hits: Sequence[Hit], factor: float, damping: float = 1.0) -> CategoryScore:
        """Score the service hits and choose the subtype."""
        base = super().score(hits, factor, damping)
        totals: dict[Subtype, float] = {}
        counted: set[str] = set()
        for hit in hits:
            if hit.subtype is None or hit.term in counted:
                continue
            counted.add(hit.term)
            totals[hit.subtype] = totals.get(hit.subtype, 0.0) + hit.weight
        subtype = max(totals, key=lambda s: totals[s]) if totals else None
        return CategoryScore(
            category=self.category,
            score=base.score,
            urgent=any(hit.urgent and hit.subtype is subtype for hit in hits),
            matched=base.matched,
            subtype=subtype,
        )
