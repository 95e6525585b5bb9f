"""The cue table: which cue groups are in force, and their factors, for the cues a message shows."""

from __future__ import annotations

import pytest

from bot.classifier.cues import CueTable
from bot.classifier.rules import load_rules
from bot.classifier.ruleset import Modifier
from bot.classifier.types import Category

_ALL = (Category.DISPUTE, Category.HAZARD, Category.SECURITY, Category.SERVICE)


def _group(name: str, factor: float, *, unless: tuple[str, ...] = (), always: bool = False) -> Modifier:
    categories = (Category.SERVICE,) if always else _ALL
    return Modifier(name, (name,), factor, unless, categories, False, always=always)


TABLE_GROUPS = (
    _group("reminder", 0.2, unless=("here_now",)),
    _group("here_now", 1.5),
    _group("news", 0.5),
    _group("no_request", 0.8, always=True, unless=("asking",)),
    _group("asking", 1.0),
)


def test_seen_groups_multiply_and_unless_cancels() -> None:
    table = CueTable(TABLE_GROUPS)
    force = table.force({"reminder", "news"})
    assert [m.name for m in force.groups] == ["reminder", "news", "no_request"]
    assert force.factors[Category.HAZARD] == pytest.approx(0.1)
    assert force.factors[Category.SERVICE] == pytest.approx(0.08)
    assert force.damping[Category.SERVICE] == pytest.approx(0.08)
    # "reminder" unless "here_now": a reminder with a live cue is not damped.
    live = table.force({"reminder", "here_now", "asking"})
    assert [m.name for m in live.groups] == ["here_now", "asking"]
    assert live.factors[Category.HAZARD] == pytest.approx(1.5)
    assert live.damping[Category.HAZARD] == 1.0  # only factors below 1 damp


def test_a_combination_is_worked_out_once_whatever_the_order() -> None:
    table = CueTable(TABLE_GROUPS)
    first = table.force(["news", "reminder"])
    assert table.force(("reminder", "news")) is first
    assert table.force(()).groups == (TABLE_GROUPS[3],)  # the always-on group alone


def test_remembered_results_match_fresh_ones_for_the_shipped_rules() -> None:
    """The memo returns what a fresh table works out, for every pair of shipped cue groups."""
    modifiers = load_rules("rules.yaml").modifiers
    names = [m.name for m in modifiers if not m.always]
    warm = CueTable(modifiers)
    for a in names:
        for b in names:
            warm.force({a, b})
    for a in names:
        for b in names:
            assert warm.force({a, b}) == CueTable(modifiers).force({b, a})
