"""Safety hazards (安全隐患): fire, gas, electrical, fire exits, e-bikes indoors, falling objects, lifts."""

from __future__ import annotations

from bot.classifier.types import Category
from handlers.categories.base import CategoryScorer


class HazardScorer(CategoryScorer):
    """Scores safety hazards; urgent keywords are fire, smoke, gas smell, sparks, people trapped."""

    category = Category.HAZARD
