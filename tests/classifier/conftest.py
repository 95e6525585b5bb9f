"""Shared by the classifier tests: the shipped rules, loaded once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.classifier import ClassifierHolder

ROOT = Path(__file__).resolve().parents[2]
# Expected verdicts (category, subtype, urgent) that the family tests share.
FIRE = ("hazard", None, True)
POLICE = ("security", None, True)
AMBULANCE = ("service", "health", True)
NONE = ("none", None, False)


@pytest.fixture(scope="module")
def holder() -> ClassifierHolder:
    """The classifier with the shipped rules.yaml."""
    return ClassifierHolder(ROOT / "rules.yaml")


def verdict_of(holder: ClassifierHolder, text: str) -> tuple[str, str | None, bool]:
    """(category, subtype, urgent) of ``text``, as plain values for compact assertions."""
    v = holder.classify(text)
    return (v.category.value, v.subtype.value if v.subtype else None, v.urgent)


def rules_verdict_of(holder: ClassifierHolder, text: str) -> tuple[str, str | None, bool]:
    """(category, subtype, urgent) of ``text`` by the rules alone (the report model not asked)."""
    _norm, v = holder.current.rules_view(text)
    return (v.category.value, v.subtype.value if v.subtype else None, v.urgent)
