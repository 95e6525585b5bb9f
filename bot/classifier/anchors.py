"""Required literals of a cue pattern, so one automaton pass picks the patterns worth running.

A cue pattern such as ``(可以|就)(找|喊|问)(我|他)`` can only match a text that contains one
of ``可以找我, 可以找他, ...`` or, less selective, one of ``可以, 就``. :func:`anchors` reads
the parsed pattern and returns such a set of literal strings (its *anchors*): every match of
the pattern contains at least one of them. The engine puts the anchors of all patterns in one
Aho-Corasick automaton and runs a pattern only when one of its anchors occurs in the message,
which is exact (no match is ever skipped) and much cheaper than searching one alternation of
every pattern at every position.

Only what is certainly required is used: literals, character classes of literals, groups and
alternations of those, and the body of a repeat that must occur at least once. Optional
parts, wildcards, negated classes, categories (``\\d``) and look-arounds break a run of
literals. When a pattern has no usable anchor, :func:`anchors` returns ``None`` and the
engine runs it on every message.
"""

from __future__ import annotations

import re
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _p  # type: ignore[attr-defined]
from typing import Any

# A run of literal parts multiplies out (周[一二]到周[三四] -> 4 strings); beyond this many
# strings the run is cut and its parts are used separately.
_MAX_STRINGS = 64
# Narrow ranges in classes ([3-9]) expand to their characters; wide ones are not literals.
_MAX_RANGE = 16

Item = tuple[Any, Any]


def _exact(item: Item) -> set[str] | None:
    """The strings ``item`` matches, each exactly, when it is a pure literal part."""
    op, av = item
    if op is _c.LITERAL:
        return {chr(av)}
    if op is _c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is _c.LITERAL:
                chars.add(chr(value))
            elif kind is _c.RANGE and value[1] - value[0] < _MAX_RANGE:
                chars.update(chr(x) for x in range(value[0], value[1] + 1))
            else:  # NEGATE, CATEGORY, wide RANGE
                return None
        return chars or None
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        if add_flags or del_flags:
            return None
        return _exact_seq(body)
    if op is _c.BRANCH:
        out: set[str] = set()
        for alternative in av[1]:
            strings = _exact_seq(alternative)
            if strings is None:
                return None
            out |= strings
        return out
    return None


def _exact_seq(seq: Any) -> set[str] | None:
    strings = {""}
    for item in seq:
        part = _exact(item)
        if part is None:
            return None
        strings = {a + b for a in strings for b in part}
        if len(strings) > _MAX_STRINGS:
            return None
    return strings


def _candidates(seq: Any) -> list[set[str]]:
    """Sets of literals each of which is required by ``seq`` (any one string of a set)."""
    found: list[set[str]] = []
    run: set[str] | None = None

    def close() -> None:
        nonlocal run
        if run and all(run):
            found.append(run)
        run = None

    for item in seq:
        part = _exact(item)
        if part is not None:
            joined = part if run is None else {a + b for a in run for b in part}
            if len(joined) > _MAX_STRINGS:
                close()
                joined = part if len(part) <= _MAX_STRINGS else set()
            run = joined or None
            continue
        close()
        op, av = item
        inner: set[str] | None = None
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[0] >= 1:
            inner = _best(av[2])
        elif op is _c.SUBPATTERN and not av[1] and not av[2]:
            inner = _best(av[3])
        elif op is _c.BRANCH:
            inner = _union(av[1])
        if inner:
            found.append(inner)
    close()
    return found


def _union(alternatives: Any) -> set[str] | None:
    """Anchors of an alternation: the union of every alternative's anchors, if all have some."""
    out: set[str] = set()
    for alternative in alternatives:
        best = _best(alternative)
        if not best:
            return None
        out |= best
    return out


def _best(seq: Any) -> set[str] | None:
    """The most selective required set: longest shortest string, then fewest strings."""
    if len(seq) == 1 and seq[0][0] is _c.BRANCH:
        return _union(seq[0][1][1])
    candidates = _candidates(seq)
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(map(len, s)), -len(s)))


def anchors(pattern: str) -> frozenset[str] | None:
    """Literal strings one of which occurs in every match of ``pattern``; None when unknown.

    ``anchors("(可以|就)(找|喊)我")`` is ``{"可以找我", "可以喊我", "就找我", "就喊我"}``;
    ``anchors("大家[^,.]{0,6}把")`` is ``{"大家"}``; ``anchors(r"\\d{3}-\\d{7}")`` is ``{"-"}``.
    """
    compiled = re.compile(pattern)
    if compiled.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    best = _best(_p.parse(pattern))
    return frozenset(best) if best else None
