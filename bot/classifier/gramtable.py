"""Every learned stage's n-gram weights in one automaton, read in one pass per message.

The report model's stages (report-or-not, urgent, one regression per kind) weigh the same
character n-grams of the same normalised text. One Aho-Corasick automaton over the union of their
n-grams, each mapped to the row of its weights in every stage (0.0 where a stage has none), finds
every occurrence once; each stage's logit is then a C-level sum over one column of those rows.
The first logit of a message costs about what one stage's own pass did, each further one a tenth
of it (most messages need one, reports need two or three).

Sums are the same as each scorer's own pass, bit for bit: the occurrences come in the same order
(by end position, longest first), and the extra terms are 0.0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING

import ahocorasick

from bot.classifier.automata import automaton_of

if TYPE_CHECKING:
    from bot.classifier.model import LinearScorer

__all__ = ["GramTable", "MessageScores"]

_Row = tuple[float, ...]
# The row of an automaton match (end, row): a C-level getter, not a comprehension.
_row_of = itemgetter(1)


class GramTable:
    """The weights of several linear scorers, one row per n-gram, in one automaton.

    Args:
        scorers: The scorers; a scorer not given here cannot be read from a pass.
    """

    def __init__(self, scorers: Sequence[LinearScorer]) -> None:
        width = len(scorers)
        rows: dict[str, list[float]] = {}
        for column, scorer in enumerate(scorers):
            for gram, weight in scorer.weights.items():
                rows.setdefault(gram, [0.0] * width)[column] = weight
        self._columns: dict[int, Callable[[_Row], float]] = {
            id(scorer): itemgetter(column) for column, scorer in enumerate(scorers)
        }
        self._automaton: ahocorasick.Automaton | None = automaton_of(
            {gram: tuple(row) for gram, row in rows.items()}
        )

    def scores(self, norm: str) -> MessageScores:
        """The lazy scores of one normalised text (the pass runs at the first logit asked for)."""
        return MessageScores(self, norm)


class MessageScores:
    """The learned stages' logits for one normalised text, from one pass over it."""

    __slots__ = ("_norm", "_rows", "_table")

    def __init__(self, table: GramTable, norm: str) -> None:
        self._table = table
        self._norm = norm
        self._rows: list[_Row] | None = None

    def logit(self, scorer: LinearScorer) -> float:
        """The scorer's log-odds for the text; a scorer the table was not built with reads its own pass."""
        column = self._table._columns.get(id(scorer))
        if column is None:
            return scorer.logit(self._norm)
        rows = self._rows
        if rows is None:
            automaton = self._table._automaton
            rows = self._rows = (
                list(map(_row_of, automaton.iter(self._norm))) if automaton is not None and self._norm else []
            )
        return scorer.bias + sum(map(column, rows))

    def probability(self, scorer: LinearScorer) -> float:
        """The scorer's probability of the positive class for the text."""
        z = self.logit(scorer)
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0
