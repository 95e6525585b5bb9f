"""Propose keywords from corrections: n-grams frequent in one category and rare elsewhere.

For each corrected target category (or service subtype), count character 2-4-grams of the
normalised corrected texts (once per text). A candidate must occur in at least
``min_count`` corrected texts and in at most ``max_other`` share of the training texts of
*other* categories; it is scored by ``support * (1 - other_share)``. Grams already in the
rules, or inside a longer candidate with the same support, are skipped.

Only word-like grams are proposed. A gram that crosses a word boundary (``室麻`` in
"棋牌室麻将声") is as frequent in the corrections as the words around it, so frequency cannot
tell them apart; cohesion can. The cohesion of two adjacent characters is
``max(P(b | a), P(a | b))`` over the corrections and the training corpus: high inside a word
(棋→牌), low across a boundary (室→麻: both characters occur in many other words). A gram is
word-like when its weakest inner link is stronger than its outer links (the characters just
before and after it in the corrected texts; the start or end of a run counts as no link),
averaged over its occurrences. The output is a YAML snippet to review and paste; nothing is
applied automatically.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.classifier.normalize import normalize
from bot.classifier.rules import RuleSet

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True, slots=True)
class Labelled:
    """A text with its (corrected) label; ``target`` is the subtype for service, else the category."""

    text: str
    category: str
    subtype: str | None

    @property
    def target(self) -> str:
        return f"service.{self.subtype}" if self.category == "service" and self.subtype else self.category


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A proposed keyword for one target."""

    target: str
    term: str
    support: int
    other_share: float
    weight: float


def ngrams(text: str, low: int = 2, high: int = 4) -> set[str]:
    """Distinct CJK character n-grams of a normalised text (runs split at non-CJK)."""
    grams: set[str] = set()
    for run in _CJK_RUN.findall(normalize(text)):
        for n in range(low, high + 1):
            grams.update(run[i : i + n] for i in range(len(run) - n + 1))
    return grams


def _runs(text: str) -> list[str]:
    return _CJK_RUN.findall(normalize(text))


class Cohesion:
    """Character and adjacent-pair counts of a set of texts, for word-likeness (module docstring)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.chars: Counter[str] = Counter()
        self.pairs: Counter[str] = Counter()
        for text in texts:
            for run in _runs(text):
                self.chars.update(run)
                self.pairs.update(run[i : i + 2] for i in range(len(run) - 1))

    def link(self, a: str, b: str) -> float:
        """``max(P(b | a), P(a | b))``: how strongly ``a`` and ``b`` stick together."""
        both = self.pairs[a + b]
        return max(both / self.chars[a], both / self.chars[b]) if both else 0.0

    def word_like(self, gram: str, texts: Iterable[str]) -> tuple[bool, float]:
        """Return whether ``gram`` is word-like in ``texts`` and its margin (inner minus outer)."""
        inner = min(self.link(gram[i], gram[i + 1]) for i in range(len(gram) - 1))
        outer: list[float] = []
        for text in texts:
            for run in _runs(text):
                at = run.find(gram)
                while at >= 0:
                    end = at + len(gram)
                    left = self.link(run[at - 1], gram[0]) if at > 0 else 0.0
                    right = self.link(gram[-1], run[end]) if end < len(run) else 0.0
                    outer.append(max(left, right))
                    at = run.find(gram, at + 1)
        margin = inner - (sum(outer) / len(outer) if outer else 0.0)
        return margin > 0, margin


def read_jsonl(path: str | Path) -> list[Labelled]:
    """Read ``{"text","category","subtype"}`` lines (a corrections export or a corpus).

    Raises:
        ValueError: A line that is not JSON, or whose text is not a string.
        KeyError: A line without text or category.
    """
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if not isinstance(row["text"], str):
                raise ValueError(f"{path}: text must be a string: {line[:80]}")
            rows.append(Labelled(row["text"], row["category"], row.get("subtype")))
    return rows


def suggest(
    corrections: Iterable[Labelled],
    corpus: Iterable[Labelled],
    rules: RuleSet | None = None,
    *,
    min_count: int = 2,
    max_other: float = 0.01,
    per_target: int = 10,
) -> list[Suggestion]:
    """Propose keywords per target category from corrected texts.

    Args:
        corrections: Corrected messages (their new label is the target).
        corpus: The training corpus, to measure how often a gram appears in other categories.
        rules: The rules in force; grams already used as terms are not proposed.
        min_count: Minimum number of corrected texts of the target containing the gram.
        max_other: Maximum share of other-category corpus texts containing the gram.
        per_target: How many suggestions to keep per target.

    Returns:
        Suggestions ordered by target, then score.
    """
    known = set(rules.locations) if rules else set()
    corpus = list(corpus)
    corrections = list(corrections)
    corpus_grams = [(row.category, ngrams(row.text)) for row in corpus]
    cohesion = Cohesion(row.text for row in [*corrections, *corpus])
    by_target: dict[str, Counter[str]] = {}
    texts: dict[str, list[str]] = {}
    categories: dict[str, str] = {}
    for row in corrections:
        by_target.setdefault(row.target, Counter()).update(ngrams(row.text))
        texts.setdefault(row.target, []).append(row.text)
        categories[row.target] = row.category
    suggestions: list[Suggestion] = []
    for target, counts in sorted(by_target.items()):
        others = [grams for category, grams in corpus_grams if category != categories[target]]
        found: list[Suggestion] = []
        margins: dict[str, float] = {}
        for gram, support in counts.items():
            if support < min_count or gram in known:
                continue
            share = sum(gram in grams for grams in others) / len(others) if others else 0.0
            if share > max_other:
                continue
            word_like, margins[gram] = cohesion.word_like(gram, texts[target])
            if not word_like:  # it crosses a word boundary ("室麻", "牌室麻将")
                continue
            weight = round(min(3.0, 1.0 + support / 2), 1)
            found.append(Suggestion(target, gram, support, share, weight))
        found.sort(key=lambda s: (-(s.support * (1 - s.other_share)), -margins[s.term], -len(s.term), s.term))
        kept: list[Suggestion] = []
        for s in found:
            if not any(s.term in k.term and s.support == k.support for k in kept):
                kept.append(s)
            if len(kept) == per_target:
                break
        suggestions += kept
    return suggestions


def to_yaml(suggestions: list[Suggestion]) -> str:
    """Render suggestions as YAML snippets shaped like the ``categories`` section of rules.yaml."""
    lines: list[str] = []
    current = None
    for s in suggestions:
        if s.target != current:
            current = s.target
            path = s.target.replace("service.", "service: subtypes: ")
            lines.append(f"# {path}  (paste under its keywords; review each term first)")
            lines.append("keywords:")
        lines.append(
            f"  {s.term}: {s.weight}  # in {s.support} corrections, {s.other_share:.1%} of other texts"
        )
    return "\n".join(lines) + ("\n" if lines else "")
