"""Every learned stage's n-gram weights in one automaton, read in one pass per message.

The report model's stages (report-or-not, urgent, one regression per kind) weigh the same
character n-grams of the same normalised text. One Aho-Corasick automaton over the union of their
n-grams finds every occurrence once; each stage keeps one column of weights, indexed by the
automaton's n-gram index (0.0 where a stage has none), and its logit is a C-level sum of that column
at the indices found.
The first logit of a message costs about what one stage's own pass did, each further one a tenth
of it (most messages need one, reports need two or three).

Sums are the same as each scorer's own pass, bit for bit: the occurrences come in the same order
(by end position, longest first), and the extra terms are 0.0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.classifier.automata import Automaton, automaton_of, index_of

if TYPE_CHECKING:
    from bot.classifier.model import LinearScorer

__all__ = ["GramTable", "MessageScores"]


class GramTable:
    """The weights of several linear scorers: one automaton over their n-grams, one weight column per scorer.

    Args:
        scorers: The scorers; a scorer not given here cannot be read from a pass.
    """

    def __init__(self, scorers: Sequence[LinearScorer]) -> None:
        grams: dict[str, None] = {}  # every stage's n-grams, in a fixed order
        for scorer in scorers:
            grams.update(dict.fromkeys(scorer.weights))
        self._automaton: Automaton[None] | None = automaton_of(grams)
        # Per stage, its weight of each n-gram by automaton index: ``column[i]`` for the i-th n-gram.
        self._columns: dict[int, list[float]] = {
            id(scorer): [scorer.weights.get(gram, 0.0) for gram in grams] for scorer in scorers
        }

    def scores(self, norm: str) -> MessageScores:
        """The lazy scores of one normalised text (the pass runs at the first logit asked for)."""
        return MessageScores(self, norm)


class MessageScores:
    """The learned stages' logits for one normalised text, from one pass over it."""

    __slots__ = ("_found", "_norm", "_table")

    def __init__(self, table: GramTable, norm: str) -> None:
        self._table = table
        self._norm = norm
        self._found: list[int] | None = None  # the automaton indices of the n-grams found

    def logit(self, scorer: LinearScorer) -> float:
        """The scorer's log-odds for the text; a scorer the table was not built with reads its own pass."""
        column = self._table._columns.get(id(scorer))
        if column is None:
            return scorer.logit(self._norm)
        found = self._found
        if found is None:
            automaton = self._table._automaton
            found = self._found = (
                list(map(index_of, automaton.find(self._norm)))
                if automaton is not None and self._norm
                else []
            )
        return scorer.bias + sum(map(column.__getitem__, found))

    def probability(self, scorer: LinearScorer) -> float:
        """The scorer's probability of the positive class for the text."""
        z = self.logit(scorer)
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0
