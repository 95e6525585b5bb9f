"""The Aho-Corasick automata the classifier reads texts with.

Built on ``ahocorasick_rs`` (the Rust ``aho-corasick`` crate). pyahocorasick, used up to round 20,
finds a node's child by a linear scan of its children: at the root of a rules automaton (a thousand
distinct first characters and more) every character of the text paid for that scan, and one pass
over a 28-character message cost 6 µs. The Rust automaton takes under 2 µs for the same pass and
reports the same occurrences in the same order: by end position, the longest first at one end
(tests/classifier/test_automata.py holds it to that order).
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Generic, TypeVar

import ahocorasick_rs

__all__ = ["Automaton", "Match", "automaton_of", "index_of"]

V = TypeVar("V")
# One occurrence: (index of the term in ``Automaton.terms``, start, end), ``end`` exclusive,
# positions in characters of the text.
Match = tuple[int, int, int]
# The term index of a match: a C-level getter for ``map`` (no per-match Python frame).
index_of = itemgetter(0)


class Automaton(Generic[V]):
    """Finds the terms of ``entries`` in a text; ``values[i]`` is the value of ``terms[i]``.

    Args:
        entries: Term -> value. Empty terms are not allowed.
        longest: Report leftmost-longest, non-overlapping occurrences (for rewriting) instead of
            every occurrence.

    Raises:
        ValueError: If there are no entries, or an empty term.
    """

    __slots__ = ("_find", "_overlapping", "terms", "values")

    def __init__(self, entries: Mapping[str, V], *, longest: bool = False) -> None:
        if not entries or "" in entries:
            raise ValueError("an automaton needs at least one term, and no empty term")
        self.terms: tuple[str, ...] = tuple(entries)
        self.values: tuple[V, ...] = tuple(entries.values())
        kind = ahocorasick_rs.MatchKind.LeftmostLongest if longest else ahocorasick_rs.MatchKind.Standard
        self._find = ahocorasick_rs.AhoCorasick(list(self.terms), matchkind=kind).find_matches_as_indexes
        self._overlapping = not longest

    def find(self, text: str) -> list[Match]:
        """Every occurrence in ``text`` (built with ``longest``: the leftmost-longest ones), by end."""
        return self._find(text, self._overlapping)


def automaton_of(entries: Mapping[str, V], *, longest: bool = False) -> Automaton[V] | None:
    """An automaton over the keys of ``entries``, or None when there are none (nothing to find)."""
    if not entries:
        return None
    return Automaton(entries, longest=longest)
