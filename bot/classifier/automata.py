"""Building the Aho-Corasick automata the classifier reads texts with."""

from __future__ import annotations

from collections.abc import Mapping

import ahocorasick

__all__ = ["automaton_of"]


def automaton_of(entries: Mapping[str, object]) -> ahocorasick.Automaton | None:
    """An automaton that finds every key of ``entries`` in a text and yields its value.

    Returns:
        The automaton, or None when there are no entries (``iter`` on an empty automaton raises).
    """
    if not entries:
        return None
    automaton = ahocorasick.Automaton()
    for key, value in entries.items():
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton
