"""A cheap necessary condition for an urgent verdict, for triage at ingest.

Every webhook asks "could this be an emergency?" so that an emergency is dispatched before the
backlog. The full ``classify`` costs ~35-60 µs; most messages contain no emergency cue at all, and
that can be ruled out with one normalisation and one automaton pass (~5-10 µs).

A verdict is urgent only through an urgent hit (an ``urgent`` keyword, or an ``urgent`` combo,
which needs a term of every one of its groups) or an ``urgent`` cue group in force (its terms or
patterns). :class:`UrgentScreen` looks for any of those in the text as the classifier sees it
(``Classifier.may_be_urgent`` normalises it the same way as ``classify``). When none is present
the verdict cannot be urgent; when one is, the caller runs the classifier. The screen may say "maybe" too often (a cue hidden by a longer
phrase, a negated one), never "no" for an urgent message: tests check this on every labelled
message.
"""

from __future__ import annotations

import re

from bot.classifier.automata import Automaton, automaton_of
from bot.classifier.ruleset import RuleSet


class UrgentScreen:
    """Answers "may this text be classified urgent under these rules?" without classifying it."""

    def __init__(self, rules: RuleSet) -> None:
        # term -> what it stands for: None (enough on its own) or the (combo, group) pairs it fills.
        found_by: dict[str, list[tuple[int, int]] | None] = {k.term: None for k in rules.keywords if k.urgent}
        urgent_combos = [c for c in rules.combos if c.urgent and c.groups]
        self._group_counts = tuple(len(c.groups) for c in urgent_combos)
        for ci, combo in enumerate(urgent_combos):
            for gi, group in enumerate(combo.groups):
                for term in group:
                    slots = found_by.setdefault(term, [])
                    if slots is not None:  # an urgent keyword is enough anyway
                        slots.append((ci, gi))
        terms: set[str] = set()
        patterns: list[str] = []
        self.always = False  # an urgent group in force with no cue: nothing can be ruled out
        for modifier in rules.modifiers:
            if modifier.urgent:
                self.always = self.always or modifier.always
                terms.update(modifier.terms)
                patterns.extend(modifier.patterns)
        for term in terms:
            found_by[term] = None
        self._automaton: Automaton[tuple[tuple[int, int], ...] | None] | None = automaton_of(
            {term: None if slots is None else tuple(slots) for term, slots in found_by.items()}
        )
        self._patterns = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def admits(self, norm: str) -> bool:
        """False only when the classifier cannot find this (normalised) text urgent."""
        if self.always:
            return True
        if self._automaton is not None:
            filled: dict[int, set[int]] = {}
            values = self._automaton.values
            for index, _start, _end in self._automaton.find(norm):
                slots = values[index]
                if slots is None:
                    return True  # an urgent keyword or an urgent cue term
                for ci, gi in slots:
                    groups = filled.setdefault(ci, set())
                    groups.add(gi)
                    if len(groups) == self._group_counts[ci]:
                        return True  # every group of an urgent combo is present
        return self._patterns is not None and self._patterns.search(norm) is not None
