"""Service requests (服务请求) routed to one of the five volunteer teams."""

from __future__ import annotations

from collections.abc import Sequence

from bot.classifier.scoring import combine
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
        seen: dict[str, float] = {}
        totals: dict[Subtype, float] = {}
        for hit in hits:
            if hit.term in seen:
                continue
            seen[hit.term] = hit.weight
            if hit.subtype is not None:
                totals[hit.subtype] = totals.get(hit.subtype, 0.0) + hit.weight
        subtype = max(totals, key=totals.__getitem__) if totals else None
        return CategoryScore(
            category=self.category,
            score=combine(seen.values(), damping) * factor,
            urgent=any(hit.urgent and hit.subtype is subtype for hit in hits),
            matched=tuple(seen),
            subtype=subtype,
        )
