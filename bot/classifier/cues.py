"""The cue groups in force for the cues a message shows, and what they do to each category.

A message shows a few cue groups (``reminder``, ``resolved``, ``elsewhere`` ...), and the same
few combinations recur across messages. What follows from a combination (which groups are in
force once ``unless`` is applied, and the product of their factors per category) depends on
the combination alone, so it is worked out once and remembered.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.classifier.ruleset import Modifier
from bot.classifier.types import REPORT_CATEGORIES, Category

__all__ = ["CueTable", "Force"]

# Distinct combinations remembered; beyond this they are worked out each time (bounded memory).
_MAX_REMEMBERED = 4096


@dataclass(frozen=True, slots=True)
class Force:
    """The cue groups in force and their effect.

    Attributes:
        groups: The groups in force, in rules order.
        factors: The product of the groups' factors, per report category.
        damping: The product of the factors below 1 alone, per report category.
        seen: The names of the groups in force that are not always on (their cue was seen), in rules order.
    """

    groups: tuple[Modifier, ...]
    factors: dict[Category, float]
    damping: dict[Category, float]
    seen: tuple[str, ...]


class CueTable:
    """Which cue groups are in force given the names of those seen; memoised per combination.

    Args:
        modifiers: The rules' cue groups, in rules order.
    """

    def __init__(self, modifiers: Sequence[Modifier]) -> None:
        self._modifiers = tuple(modifiers)
        self._index = {m.name: i for i, m in enumerate(modifiers)}
        self._always = tuple(i for i, m in enumerate(modifiers) if m.always)
        self._memo: dict[frozenset[str], Force] = {}

    def force(self, seen: Collection[str]) -> Force:
        """The groups in force when the cues of the groups named in ``seen`` occur in a message.

        Always-on groups are in force too; a group is not when one named in its ``unless`` is seen.
        The returned dicts are shared: copy before changing them.
        """
        key = frozenset(seen)
        found = self._memo.get(key)
        if found is None:
            found = self._work_out(key)
            if len(self._memo) < _MAX_REMEMBERED:
                self._memo[key] = found
        return found

    def _work_out(self, seen: frozenset[str]) -> Force:
        modifiers, index = self._modifiers, self._index
        groups = tuple(
            modifiers[i]
            for i in sorted({*self._always, *(index[n] for n in seen)})
            if not any(u in seen for u in modifiers[i].unless)
        )
        factors = dict.fromkeys(REPORT_CATEGORIES, 1.0)
        damping = dict.fromkeys(REPORT_CATEGORIES, 1.0)
        for m in groups:
            for category in m.categories:
                factors[category] *= m.factor
                if m.factor < 1.0:
                    damping[category] *= m.factor
        return Force(groups, factors, damping, tuple(m.name for m in groups if not m.always))
