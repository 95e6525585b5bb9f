"""The automata find what a brute-force scan finds, in the order the engine relies on.

The engine's overlap sweep and the n-gram sums (bit for bit) depend on the order of occurrences:
by end position, the longest first at one end. Alias rewriting depends on leftmost-longest.
Positions are characters of the text, astral-plane characters included.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.classifier.automata import Automaton, automaton_of

# A small alphabet so that terms overlap and nest often; 𠮷 is outside the BMP (two UTF-16 units,
# four UTF-8 bytes): positions must still count characters.
ALPHABET = "煤气味着火楼道a1𠮷"
terms = st.text(alphabet=ALPHABET, min_size=1, max_size=4)
texts = st.text(alphabet=ALPHABET + " ,", max_size=30)


def _all_occurrences(entries: list[str], text: str) -> list[tuple[int, int, int]]:
    found = [
        (i, s, s + len(term))
        for i, term in enumerate(entries)
        for s in range(len(text))
        if text.startswith(term, s)
    ]
    return sorted(found, key=lambda m: (m[2], -(m[2] - m[1])))


def _leftmost_longest(entries: list[str], text: str) -> list[tuple[int, int, int]]:
    found, s = [], 0
    while s < len(text):
        best = max(
            ((i, len(t)) for i, t in enumerate(entries) if text.startswith(t, s)),
            key=lambda c: c[1],
            default=None,
        )
        if best is None:
            s += 1
            continue
        found.append((best[0], s, s + best[1]))
        s += best[1]
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(terms, min_size=1, max_size=8, unique=True), texts)
def test_every_occurrence_by_end_longest_first(entries: list[str], text: str) -> None:
    automaton = Automaton(dict.fromkeys(entries, None))
    assert automaton.find(text) == _all_occurrences(entries, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(terms, min_size=1, max_size=8, unique=True), texts)
def test_longest_is_leftmost_longest(entries: list[str], text: str) -> None:
    automaton = Automaton(dict.fromkeys(entries, None), longest=True)
    assert automaton.find(text) == _leftmost_longest(entries, text)


def test_values_follow_terms_and_positions_count_characters() -> None:
    automaton = Automaton({"煤气": "gas", "气味": "smell", "气": "air", "𠮷田": "name"})
    text = "a𠮷田é楼道煤气味"
    found = automaton.find(text)
    assert [(automaton.values[i], text[s:e]) for i, s, e in found] == [
        ("name", "𠮷田"),
        ("gas", "煤气"),
        ("air", "气"),
        ("smell", "气味"),
    ]
    assert automaton.terms == ("煤气", "气味", "气", "𠮷田")


def test_no_terms_is_no_automaton_and_an_empty_term_is_refused() -> None:
    assert automaton_of({}) is None
    with pytest.raises(ValueError, match="empty term"):
        Automaton({"": 1, "火": 2})
    assert Automaton({"火": 1}).find("") == []
