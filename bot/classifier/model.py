"""The learned second stage: a linear model that decides "report or not" on top of the rules.

The rules fix one phrasing family at a time; on text they were not tuned on they open false
tickets for chit-chat that shares a word with a report and miss reports worded without a cue.
A logistic regression over the character 1-2-grams of the normalised text the rules see,
trained on the labelled messages, reads the whole message. The rules decide the category,
subtype and urgency wherever they found something; the model decides whether the message is a
report, and its optional stages add what the rules could not say:

- an urgent verdict of the rules is never suppressed (a gas leak must page), unless ``calm`` is
  set (optional, in the file) and the rules themselves saw a reason for doubt: an emergency of the
  rules with a damping cue group in force (a reminder, laughter, the past, an offer) whose
  probability of being a report at all is under ``calm`` (a few in a hundred) is ``none``
  (``model:calm 0.01``), on the same terms as ``threshold`` (no ``keep`` group in force, at least
  ``min_length`` characters). It takes "谁说煤气味，是我家腌的酸菜😂" and a first-aid tip that
  names 120; without a damping cue the model is not asked (over 50 folds it would have calmed a
  missing elder with dementia whose message reads like an advert: "… 大家看见了请联系我 13xxx");
- a report of the rules whose probability of being a report is under ``threshold`` becomes
  ``none`` (``matched`` shows ``model:none 0.23``), unless a ``keep`` cue group is in force or the
  text is shorter than ``min_length``;
- a ``none`` of the rules whose probability is at least ``promote`` becomes a report
  (``model:report 0.91``), unless a ``hold`` cue group is in force (the rules damped it on purpose):
  of the category the rules scored highest, or, if they scored none, of the kind the optional
  **kind stage** (``kinds`` in the file, one regression per kind of report) finds most probable,
  for a text of at least ``min_length`` characters;
- optionally (``rechoose`` in the file), when the rules' two best-scored kinds of report are
  close (the runner-up within ``rechoose`` of the best, relative), the kind stage chooses between
  them (``model:dispute 0.81``): the rules' weights add up cues, the kind stage reads the whole
  message ("楼上装修把下水管道堵了 … 到底该谁赔" is a dispute, not a repair); a hazard or security
  report is never traded for another kind (safety first);
- optionally (``urgent`` in the file), the **urgent stage**, a second regression over the same
  n-grams, reads whether life or property is at risk now: a report the rules did not page, of a
  kind that can be an emergency (hazard, security, health), whose urgent probability is at least
  its ``promote`` pages (``model:urgent 0.93``). It only ever adds a page, never removes one: the
  rules' cues for "gas smell now" stay in force, and the model catches the emergencies worded
  without them. A report of a kind that cannot be an emergency (a quarrel, a repair) whose urgent
  probability is at least the stage's ``retarget`` is an emergency the rules placed wrong ("隔壁吵得
  很凶 … 女的在喊救命" read as a quarrel): the kind stage re-places it among the kinds that can be
  emergencies, and it pages. (Paging a message that is no report at all, a "rescue", was measured
  in round 10: no recall gained, precision lost; docs/classification.md.)

The rules' own signals (their category, scores, cue groups) are not features: the rules were
tuned on most of the labelled data, so a model trained on them learns to trust them far more
than they deserve on fresh text (leave-one-file-out: held-out 6 false tickets 7.5% -> 6.2% with
them, 3.7% without; docs/classification.md).

The weights are data (``model:`` in rules.yaml names the file), written by ``weigrid rules
train`` (:mod:`bot.classifier.training`). Inference is a few dict look-ups per character.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import add, itemgetter

from bot.classifier.automata import Automaton, automaton_of, index_of
from bot.classifier.gramtable import GramTable, MessageScores
from bot.classifier.ruleset import Modifier
from bot.classifier.types import Category, CategoryScore, Subtype, Verdict

FORMAT = "weigrid-report-model/1"
# The kinds of report: what the urgent stage may page and the kind stage chooses among.
KINDS = frozenset({"dispute", "hazard", "security", *(f"service.{s.value}" for s in Subtype)})
_weight = itemgetter(1)
# Kinds a choice between two close kinds never leaves for another (safety first).
_SAFETY = frozenset({"hazard", "security"})


def grams(norm: str) -> list[str]:
    """Character 1- and 2-grams of a normalised text, with repeats (counts).

    Trigrams were tried: the same figures in leave-one-file-out CV, twice the weights and time.
    """
    return [*norm, *map(add, norm, norm[1:])]


class ModelError(ValueError):
    """The model file is missing or malformed."""


class LinearScorer:
    """A logistic regression over character n-grams: weights found in one Aho-Corasick pass.

    One pass finds every weighted n-gram occurrence: a third faster than building each 2-gram
    string and looking it up in a dict. The classifier reads a report model's stages through
    their shared table (bot/classifier/gramtable.py); a scorer's own automaton is built when it is
    first read on its own, or up front by :meth:`build` (the urgent stage's, which triage reads).
    """

    __slots__ = ("_automaton", "_built", "bias", "weights")

    def __init__(self, weights: dict[str, float], bias: float) -> None:
        self.weights = weights
        self.bias = bias
        self._automaton: Automaton[float] | None = None
        self._built = False

    def build(self) -> None:
        """Build this scorer's own automaton now (idempotent; two threads build the same one)."""
        if not self._built:
            self._automaton = automaton_of(self.weights)
            self._built = True

    def logit(self, norm: str) -> float:
        """The log-odds of the positive class for a normalised text."""
        self.build()
        if self._automaton is None or not norm:
            return self.bias
        weight = self._automaton.values.__getitem__
        return self.bias + sum(map(weight, map(index_of, self._automaton.find(norm))))

    def probability(self, norm: str) -> float:
        """The probability of the positive class for a normalised text."""
        z = self.logit(norm)
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0


def _any_in_force(names: frozenset[str], in_force: Sequence[Modifier]) -> bool:
    """Whether a cue group named in ``names`` is in force (``keep``, ``hold``, the urgent stage's ``hold``)."""
    return bool(names) and any(m.name in names for m in in_force)


@dataclass(frozen=True)
class UrgentStage:
    """The urgent-vs-not regression and where it may page.

    Attributes:
        scorer: Weights over the normalised text's n-grams; positive means "at risk now".
        promote: A report the rules did not page, with at least this urgent probability, pages.
        targets: The kinds of report that can be emergencies (``hazard``, ``security``,
            ``service.health``): those with urgent examples in the training data.
        retarget: A report of another kind with at least this urgent probability is re-placed
            among ``targets`` by the kind stage and pages (None: never); never below ``promote``.
        hold: Cue groups of the rules; a report with one of them in force is never paged by the
            stage (a harmless explanation offered: "敲门没人应 王大爷估计出去遛弯了"). The rules' own
            emergency cues are not affected.
    """

    scorer: LinearScorer
    promote: float
    targets: frozenset[str]
    retarget: float | None = None
    hold: frozenset[str] = frozenset()

    def held(self, in_force: Sequence[Modifier]) -> bool:
        """Whether a cue group in force keeps this stage from paging."""
        return _any_in_force(self.hold, in_force)

    def pages(self, verdict: Verdict) -> bool:
        """Whether this (non-urgent) report's kind can be an emergency at all."""
        return kind_of(verdict.category, verdict.subtype) in self.targets

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "bias": round(self.scorer.bias, 4),
            "promote": self.promote,
            "targets": sorted(self.targets),
            "weights": _rounded(self.scorer.weights),
        }
        if self.retarget is not None:
            data["retarget"] = self.retarget
        if self.hold:
            data["hold"] = sorted(self.hold)
        return data


@dataclass(frozen=True)
class KindStage:
    """One regression per kind of report (``hazard``, ``service.repair`` ...): what a report is.

    Used where the rules' own choice is missing or doubtful: to place a message the report model
    promotes that the rules scored no category for (if at least ``min_length`` characters long),
    to choose between the rules' two best kinds (``rechoose``), and to re-place an emergency the
    rules put in a kind that cannot be one (the urgent stage's ``retarget``).
    """

    scorers: dict[str, LinearScorer]

    def best(
        self, norm: str, among: frozenset[str] | None = None, scores: MessageScores | None = None
    ) -> tuple[Category, Subtype | None, float]:
        """The most probable kind of report (of ``among``, if given) and its probability.

        ``scores``: the message's pass over the model's shared n-gram table, if there is one.
        """
        scorers = (
            self.scorers.items() if among is None else [(k, s) for k, s in self.scorers.items() if k in among]
        )
        probability = scores.probability if scores is not None else (lambda s: s.probability(norm))
        kind, p = max(((k, probability(s)) for k, s in scorers), key=_weight)
        category, _, subtype = kind.partition(".")
        return Category(category), Subtype(subtype) if subtype else None, p

    def to_dict(self) -> dict[str, object]:
        return {
            k: {"bias": round(s.bias, 4), "weights": _rounded(s.weights)}
            for k, s in sorted(self.scorers.items())
        }


def kind_of(category: Category, subtype: Subtype | None) -> str:
    """``hazard``, ``security``, ``dispute`` or ``service.<subtype>``."""
    return (
        f"service.{subtype.value}" if category is Category.SERVICE and subtype is not None else category.value
    )


def _rounded(weights: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in sorted(weights.items())}


@dataclass(frozen=True)
class ReportModel:
    """Weights of the report-vs-none logistic regression and its decision thresholds.

    Attributes:
        weights: Character n-gram (of the normalised text) to weight; n-grams not listed weigh 0.
        bias: The intercept.
        threshold: A rules' report with a lower probability becomes ``none``.
        promote: A rules' ``none`` with at least this probability becomes a report (of the
            rules' best category, or of the kind stage's when they scored none); above 1
            disables promotion.
        source: Where the weights came from, for messages.
        keep: Cue groups of the rules; a report with one of them in force is never turned
            into ``none`` (structure a bag of n-grams cannot read: "修好了 没两天又漏了").
        min_length: A report shorter than this (normalised characters) is never turned into
            ``none``, and a ``none`` the rules scored nothing for is never placed by the kind
            stage: on a short text the n-grams alone say too little (a 12-character request
            was vetoed at P 0.05; a row of 🔥 was placed and paged).
        hold: Cue groups of the rules; a ``none`` with one of them in force is never promoted
            (the rules damped it on purpose: a workplace, an advert, a reminder), so promotion
            only places reports the rules missed for want of keywords.
        urgent: The optional urgent stage (pages reports the rules did not).
        kinds: The optional kind stage (places a report the rules scored no category for).
        rechoose: With the kind stage: when the rules' runner-up kind scores within this fraction
            of their best (``(best - runner_up) / best <= rechoose``), the kind stage chooses
            between the two (None: never).
        calm: An urgent verdict of the rules with a damping cue group in force whose report
            probability is below this becomes ``none`` (None: an urgent verdict of the rules is
            final). Far below ``threshold``: the rules' emergency cues are trusted unless they
            doubted it themselves and the whole message reads as no report at all.
    """

    weights: dict[str, float]
    bias: float
    threshold: float
    promote: float
    source: str = "<memory>"
    keep: frozenset[str] = frozenset()
    min_length: int = 0
    urgent: UrgentStage | None = None
    kinds: KindStage | None = None
    hold: frozenset[str] = frozenset()
    rechoose: float | None = None
    calm: float | None = None
    _scorer: LinearScorer = field(init=False, repr=False, compare=False)
    _table: GramTable = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        scorer = LinearScorer(self.weights, self.bias)
        object.__setattr__(self, "_scorer", scorer)
        # Every stage's n-grams in one automaton: one pass a message (bot/classifier/gramtable.py).
        stages = [scorer]
        if self.urgent is not None:
            stages.append(self.urgent.scorer)
            self.urgent.scorer.build()  # triage reads it on its own (Classifier.may_be_urgent)
        if self.kinds is not None:
            stages.extend(self.kinds.scorers.values())
        object.__setattr__(self, "_table", GramTable(stages))

    def probability(self, norm: str) -> float:
        """The probability that the normalised text is a report."""
        return self.scores(norm).probability(self._scorer)

    def scores(self, norm: str) -> MessageScores:
        """The normalised text's pass over every stage's n-grams (read lazily, at most once)."""
        return self._table.scores(norm)

    def revise(
        self, norm: str, verdict: Verdict, scores: Sequence[CategoryScore], in_force: Sequence[Modifier] = ()
    ) -> Verdict:
        """The final verdict: the rules' one, its report/none decision overturned by the model,
        a report placed by the kind stage, or a page added by the urgent stage (never one removed).

        Args:
            norm: The text as the rules saw it.
            verdict: The rules' verdict.
            scores: The rules' category scores, highest ranked first.
            in_force: The rules' cue groups in force; a report with one named in ``keep`` is
                never turned into ``none``, a ``none`` with one named in ``hold`` never promoted.
        """
        if verdict.urgent:
            return self._calmed(norm, verdict, in_force)
        read = self.scores(norm)
        revised = self._report_or_none(norm, verdict, scores, in_force, read)
        if self.rechoose is not None and revised.category is not Category.NONE:
            revised = self._rechosen(revised, scores, read)
        stage = self.urgent
        if stage is None or revised.category is Category.NONE or stage.held(in_force):
            return revised
        if stage.pages(revised):
            p = read.probability(stage.scorer)
            if p < stage.promote:
                return revised
            return Verdict(
                revised.category,
                revised.subtype,
                True,
                revised.confidence,
                (*revised.matched, f"model:urgent {p:.2f}"),
            )
        if stage.retarget is None or self.kinds is None:
            return revised
        p = read.probability(stage.scorer)
        if p < stage.retarget:
            return revised
        # An emergency placed as a kind that cannot be one: re-placed among those that can.
        category, subtype, q = self.kinds.best(norm, among=stage.targets, scores=read)
        return Verdict(
            category,
            subtype,
            True,
            revised.confidence,
            (*revised.matched, f"model:urgent {p:.2f}", f"model:{kind_of(category, subtype)} {q:.2f}"),
        )

    def _calmed(self, norm: str, verdict: Verdict, in_force: Sequence[Modifier]) -> Verdict:
        """The rules' emergency, or ``none`` when ``calm`` is set, the rules saw a reason for doubt
        (a damping cue group in force) and the message reads as no report at all."""
        if (
            self.calm is None
            or len(norm) < self.min_length
            or not any(m.factor < 1.0 and not m.always for m in in_force)
            or _any_in_force(self.keep, in_force)
        ):
            return verdict
        p = self.probability(norm)
        if p >= self.calm:
            return verdict
        return Verdict(Category.NONE, None, False, 1.0 - p, (*verdict.matched, f"model:calm {p:.2f}"))

    def _rechosen(self, verdict: Verdict, scores: Sequence[CategoryScore], read: MessageScores) -> Verdict:
        """The rules' report, or their runner-up kind if it is close and the kind stage prefers it."""
        assert self.rechoose is not None
        if self.kinds is None or len(scores) < 2:
            return verdict
        best, runner_up = scores[0], scores[1]
        if (
            best.score <= 0
            or runner_up.score <= 0
            or (best.score - runner_up.score) / best.score > self.rechoose
        ):
            return verdict
        if (best.category, best.subtype) != (verdict.category, verdict.subtype):
            return verdict  # not the rules' own best (placed by the kind stage already)
        kinds = self.kinds.scorers
        first, second = kind_of(best.category, best.subtype), kind_of(runner_up.category, runner_up.subtype)
        if first == second or first not in kinds or second not in kinds:
            return verdict
        if first in _SAFETY and second not in _SAFETY:
            return verdict  # a hazard or a security report is never traded for a quarrel or a repair
        if read.logit(kinds[second]) <= read.logit(kinds[first]):
            return verdict
        p_second = read.probability(kinds[second])
        return Verdict(
            runner_up.category,
            runner_up.subtype,
            False,
            verdict.confidence,
            (*runner_up.matched, *verdict.matched[len(best.matched) :], f"model:{second} {p_second:.2f}"),
        )

    def _report_or_none(
        self,
        norm: str,
        verdict: Verdict,
        scores: Sequence[CategoryScore],
        in_force: Sequence[Modifier],
        read: MessageScores,
    ) -> Verdict:
        """The rules' non-urgent verdict with its report/none decision possibly overturned."""
        if verdict.category is Category.NONE:
            placed = bool(scores) and scores[0].score > 0
            if not placed and (self.kinds is None or len(norm) < self.min_length):
                return verdict  # nothing to place it as, or too short to place on n-grams alone
            if _any_in_force(self.hold, in_force):
                return verdict
            p = read.probability(self._scorer)
            if p < self.promote:
                return verdict
            if placed:
                best = scores[0]
                return Verdict(
                    best.category, best.subtype, False, p, (*best.matched, f"model:report {p:.2f}")
                )
            assert self.kinds is not None
            category, subtype, q = self.kinds.best(norm, scores=read)
            kind = kind_of(category, subtype)
            return Verdict(
                category,
                subtype,
                False,
                p,
                (*verdict.matched, f"model:report {p:.2f}", f"model:{kind} {q:.2f}"),
            )
        if len(norm) < self.min_length or _any_in_force(self.keep, in_force):
            return verdict
        p = read.probability(self._scorer)
        if p >= self.threshold:
            return verdict
        return Verdict(Category.NONE, None, False, 1.0 - p, (*verdict.matched, f"model:none {p:.2f}"))

    def to_json(self) -> str:
        """The model file's text: sorted keys, weights rounded, so the same data gives the same file."""
        data = {
            "format": FORMAT,
            "bias": round(self.bias, 4),
            "threshold": self.threshold,
            "promote": self.promote,
            "keep": sorted(self.keep),
            "hold": sorted(self.hold),
            "min_length": self.min_length,
            "weights": _rounded(self.weights),
        }
        if self.rechoose is not None:
            data["rechoose"] = self.rechoose
        if self.calm is not None:
            data["calm"] = self.calm
        if self.urgent is not None:
            data["urgent"] = self.urgent.to_dict()
        if self.kinds is not None:
            data["kinds"] = self.kinds.to_dict()
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
