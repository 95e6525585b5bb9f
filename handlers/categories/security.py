"""Public-security reports (治安警情): theft, burglary, fraud in progress, fights, missing persons."""

from __future__ import annotations

from bot.classifier.types import Category
from handlers.categories.base import CategoryScorer


class SecurityScorer(CategoryScorer):
    """Scores security reports; urgent keywords are violence in progress and missing people."""

    category = Category.SECURITY
