"""The learned second stage: a linear model that decides "report or not" on top of the rules.

The rules fix one phrasing family at a time; on text they were not tuned on they open false
tickets for chit-chat that shares a word with a report and miss reports worded without a cue.
A logistic regression over the character 1-2-grams of the normalised text the rules see,
trained on the labelled messages, reads the whole message. The rules keep the category,
subtype and urgency; the model only decides whether the message is a report:

- an urgent verdict of the rules is never suppressed (a gas leak must page);
- a report of the rules whose probability of being a report is under ``threshold`` becomes
  ``none`` (``matched`` shows ``model:none 0.23``);
- a ``none`` of the rules whose probability is at least ``promote`` becomes a report of the
  category the rules scored highest, if they scored any (``model:report 0.91``);
- optionally (``urgent`` in the file), a second regression over the same n-grams reads whether
  life or property is at risk now: a report the rules did not page, of a kind that can be an
  emergency (hazard, security, health), whose urgent probability is at least its ``promote``
  pages (``model:urgent 0.93``). It only ever adds a page, never removes one: the rules' cues for
  "gas smell now" stay in force, and the model catches the emergencies worded without them.

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
from pathlib import Path

import ahocorasick

from bot.classifier.ruleset import Modifier
from bot.classifier.types import Category, CategoryScore, Subtype, Verdict

FORMAT = "weigrid-report-model/1"
_weight = itemgetter(1)


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
    string and looking it up in a dict.
    """

    __slots__ = ("_automaton", "bias", "weights")

    def __init__(self, weights: dict[str, float], bias: float) -> None:
        self.weights = weights
        self.bias = bias
        self._automaton: ahocorasick.Automaton | None = None
        if weights:
            self._automaton = ahocorasick.Automaton()
            for gram, weight in weights.items():
                self._automaton.add_word(gram, weight)
            self._automaton.make_automaton()

    def logit(self, norm: str) -> float:
        """The log-odds of the positive class for a normalised text."""
        if self._automaton is None or not norm:
            return self.bias
        return self.bias + sum(map(_weight, self._automaton.iter(norm)))

    def probability(self, norm: str) -> float:
        """The probability of the positive class for a normalised text."""
        z = self.logit(norm)
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0


@dataclass(frozen=True)
class UrgentStage:
    """The urgent-vs-not regression and where it may page.

    Attributes:
        scorer: Weights over the normalised text's n-grams; positive means "at risk now".
        promote: A report the rules did not page, with at least this urgent probability, pages.
        targets: The kinds of report that can be emergencies (``hazard``, ``security``,
            ``service.health``): those with urgent examples in the training data.
    """

    scorer: LinearScorer
    promote: float
    targets: frozenset[str]

    def pages(self, verdict: Verdict) -> bool:
        """Whether this (non-urgent) report's kind can be an emergency at all."""
        kind = verdict.category.value
        if verdict.category is Category.SERVICE and verdict.subtype is not None:
            kind = f"service.{verdict.subtype.value}"
        return kind in self.targets

    def to_dict(self) -> dict[str, object]:
        return {
            "bias": round(self.scorer.bias, 4),
            "promote": self.promote,
            "targets": sorted(self.targets),
            "weights": {k: round(v, 4) for k, v in sorted(self.scorer.weights.items())},
        }


@dataclass(frozen=True)
class ReportModel:
    """Weights of the report-vs-none logistic regression and its decision thresholds.

    Attributes:
        weights: Character n-gram (of the normalised text) to weight; n-grams not listed weigh 0.
        bias: The intercept.
        threshold: A rules' report with a lower probability becomes ``none``.
        promote: A rules' ``none`` with at least this probability becomes a report (when the
            rules scored some category); above 1 disables promotion.
        source: Where the weights came from, for messages.
        keep: Cue groups of the rules; a report with one of them in force is never turned
            into ``none`` (structure a bag of n-grams cannot read: "修好了 没两天又漏了").
        min_length: A report shorter than this (normalised characters) is never turned into
            ``none``: the training data has almost no short reports ("电梯坏了"), so the
            model's opinion of them is an extrapolation from short chit-chat.
        urgent: The optional urgent stage (pages reports the rules did not).
    """

    weights: dict[str, float]
    bias: float
    threshold: float
    promote: float
    source: str = "<memory>"
    keep: frozenset[str] = frozenset()
    min_length: int = 0
    urgent: UrgentStage | None = None
    _scorer: LinearScorer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_scorer", LinearScorer(self.weights, self.bias))

    def probability(self, norm: str) -> float:
        """The probability that the normalised text is a report."""
        return self._scorer.probability(norm)

    def revise(
        self, norm: str, verdict: Verdict, scores: Sequence[CategoryScore], in_force: Sequence[Modifier] = ()
    ) -> Verdict:
        """The final verdict: the rules' one, or its report/none decision overturned by the model.

        Args:
            norm: The text as the rules saw it.
            verdict: The rules' verdict.
            scores: The rules' category scores, highest ranked first.
            in_force: The rules' cue groups in force; a report with one named in ``keep`` is
                never turned into ``none``.
        """
        if verdict.urgent:
            return verdict  # never suppress an emergency the rules found
        revised = self._report_or_none(norm, verdict, scores, in_force)
        stage = self.urgent
        if stage is None or revised.category is Category.NONE or not stage.pages(revised):
            return revised
        p = stage.scorer.probability(norm)
        if p < stage.promote:
            return revised
        return Verdict(
            revised.category,
            revised.subtype,
            True,
            revised.confidence,
            (*revised.matched, f"model:urgent {p:.2f}"),
        )

    def _report_or_none(
        self, norm: str, verdict: Verdict, scores: Sequence[CategoryScore], in_force: Sequence[Modifier]
    ) -> Verdict:
        """The rules' non-urgent verdict with its report/none decision possibly overturned."""
        if verdict.category is Category.NONE:
            if not scores or scores[0].score <= 0:
                return verdict  # no category to promote to: the model need not run
            p = self.probability(norm)
            if p < self.promote:
                return verdict
            best = scores[0]
            return Verdict(best.category, best.subtype, False, p, (*best.matched, f"model:report {p:.2f}"))
        if len(norm) < self.min_length or (self.keep and any(m.name in self.keep for m in in_force)):
            return verdict
        p = self.probability(norm)
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
            "min_length": self.min_length,
            "weights": {k: round(v, 4) for k, v in sorted(self.weights.items())},
        }
        if self.urgent is not None:
            data["urgent"] = self.urgent.to_dict()
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def parse_model(text: str, source: str = "<memory>") -> ReportModel:
    """Read a model file's text.

    Raises:
        ModelError: If it is not a model file of this format.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ModelError(f"{source}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{source}: not a {FORMAT} file")
    weights = data.get("weights")
    numbers = [data.get("bias"), data.get("threshold"), data.get("promote")]
    if not isinstance(weights, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in [*numbers, *weights.values()]
    ):
        raise ModelError(f"{source}: bias, threshold, promote and every weight must be finite numbers")
    bias, threshold, promote = (float(v) for v in numbers if isinstance(v, int | float))
    if not 0.0 < threshold < 1.0 or promote <= 0.0:
        raise ModelError(f"{source}: threshold must be in (0, 1) and promote above 0")
    keep = data.get("keep", [])
    if not isinstance(keep, list) or not all(isinstance(name, str) for name in keep):
        raise ModelError(f"{source}: keep must be a list of cue-group names")
    min_length = data.get("min_length", 0)
    if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 0:
        raise ModelError(f"{source}: min_length must be a whole number of characters")
    weights_ = {str(k): float(v) for k, v in weights.items()}
    urgent = _parse_urgent(data["urgent"], source) if "urgent" in data else None
    return ReportModel(weights_, bias, threshold, promote, source, frozenset(keep), min_length, urgent)


URGENT_TARGETS = frozenset({"hazard", "security", *(f"service.{s.value}" for s in Subtype)})


def _parse_urgent(raw: object, source: str) -> UrgentStage:
    """The ``urgent`` section of a model file."""
    if not isinstance(raw, dict):
        raise ModelError(f"{source}: urgent must be a mapping with bias, promote, targets and weights")
    weights, bias, promote, targets = (raw.get(k) for k in ("weights", "bias", "promote", "targets"))
    if not isinstance(weights, dict) or not all(_finite(v) for v in [bias, promote, *weights.values()]):
        raise ModelError(f"{source}: urgent: bias, promote and every weight must be finite numbers")
    assert isinstance(bias, int | float) and isinstance(promote, int | float)
    if promote <= 0.0:
        raise ModelError(f"{source}: urgent: promote must be above 0 (above 1 never pages)")
    if not isinstance(targets, list) or not targets or not set(targets) <= URGENT_TARGETS:
        raise ModelError(
            f"{source}: urgent: targets must be a non-empty list of {', '.join(sorted(URGENT_TARGETS))}"
        )
    scorer = LinearScorer({str(k): float(v) for k, v in weights.items()}, float(bias))
    return UrgentStage(scorer, float(promote), frozenset(targets))


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def load_model(path: str | Path) -> ReportModel:
    """Read a model file.

    Raises:
        ModelError: If the file cannot be read or is malformed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file: {exc.strerror or exc}") from exc
    return parse_model(text, str(path))
