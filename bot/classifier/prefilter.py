"""Cheap passes that tell the engine which combos and cue shapes are worth running on a text.

Most messages hold no combo and show no cue shape. Each finder runs one Aho-Corasick pass over
the normalised text and returns the few rules whose regexes can match; the engine runs only those.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.classifier.anchors import anchors
from bot.classifier.automata import Automaton, automaton_of
from bot.classifier.ruleset import Combo, Modifier


class ComboFinder:
    """The combos whose every term group has a term in a text, with one regex per group.

    A combo (``[电梯] x [卡住, 在里面]``) needs a term of each of its groups. One automaton over every
    combo term tells which groups are present; only combos with all their groups present run
    their regexes (one per group: a single C-level search instead of a loop of ``str.find``).
    """

    def __init__(self, combos: Sequence[Combo]) -> None:
        self.combos: tuple[tuple[Combo, tuple[re.Pattern[str], ...]], ...] = tuple(
            (combo, tuple(re.compile("|".join(map(re.escape, group))) for group in combo.groups))
            for combo in combos
        )
        # Each term maps to (combo, bit of its group) pairs; a combo is a candidate when the bits
        # of the terms found fill its mask (one OR per term found, no set of pairs to count).
        bits: dict[str, dict[int, int]] = {}
        for ci, combo in enumerate(combos):
            for gi, group in enumerate(combo.groups):
                for term in group:
                    by_combo = bits.setdefault(term, {})
                    by_combo[ci] = by_combo.get(ci, 0) | 1 << gi
        self._terms: Automaton[tuple[tuple[int, int], ...]] | None = automaton_of(
            {t: tuple(by_combo.items()) for t, by_combo in bits.items()}
        )
        self._full = tuple((1 << len(combo.groups)) - 1 for combo in combos)

    def candidates(self, text: str) -> list[int]:
        """Positions in ``combos`` (rules order) of the combos whose every group has a term in ``text``."""
        if self._terms is None or not text:
            return []
        masks: dict[int, int] = {}
        get = masks.get
        values = self._terms.values
        for index, _start, _end in self._terms.find(text):
            for ci, bit in values[index]:
                masks[ci] = get(ci, 0) | bit
        if not masks:
            return []
        full = self._full
        found = [ci for ci, mask in masks.items() if mask == full[ci]]
        if len(found) > 1:
            found.sort()
        return found


class ShapeFinder:
    """The cue shapes (regex patterns of cue groups) that may match a text.

    One compiled regex per pattern (a literal first character lets ``re`` skip ahead; one big
    alternation would try every branch at every position). Every pattern needs one of its
    anchors (literals that occur in every match, ``anchors.py``), so one automaton pass picks the
    patterns worth running; patterns without anchors run on every message.
    """

    def __init__(self, modifiers: Sequence[Modifier], *, prefilter: bool = True) -> None:
        """``prefilter=False`` runs every pattern on every text: the reference the anchors are tested against."""
        # (compiled pattern, index of its cue group in ``modifiers``)
        self.shapes = tuple((re.compile(p), i) for i, m in enumerate(modifiers) for p in m.patterns)
        always: list[int] = []
        by_anchor: dict[str, list[int]] = {}
        for position, (rx, _index) in enumerate(self.shapes):
            required = anchors(rx.pattern) if prefilter else None
            if required is None:
                always.append(position)
                continue
            for literal in required:
                by_anchor.setdefault(literal, []).append(position)
        self._always: tuple[int, ...] = tuple(always)
        self._anchors: Automaton[tuple[int, ...]] | None = automaton_of(
            {a: tuple(p) for a, p in by_anchor.items()}
        )

    def present(self, text: str) -> list[int] | tuple[int, ...]:
        """Positions in ``shapes`` of the patterns that may match ``text``, in order."""
        if self._anchors is None or not text:
            return self._always
        found: set[int] = set()
        values = self._anchors.values
        for index, _start, _end in self._anchors.find(text):
            found.update(values[index])
        if not found:
            return self._always
        found.update(self._always)
        return sorted(found)
