"""Metrics for the classifier on a labelled JSONL corpus.

Each line is ``{"text", "category", "subtype", "urgent"}``. The report has everything
issue 3 asks for: per-class precision/recall/F1, macro-F1 over the five categories, the
false-ticket rate (true ``none`` predicted as a report), the missed-report rate (true
reports predicted ``none``), service-subtype accuracy, urgent precision/recall and the
confusion matrix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.classifier.engine import Classifier
from bot.classifier.types import Category, Subtype, Verdict

CATEGORIES: tuple[Category, ...] = tuple(Category)


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message."""

    text: str
    category: Category
    subtype: Subtype | None
    urgent: bool


@dataclass(frozen=True, slots=True)
class ClassMetrics:
    """Precision, recall and F1 for one category, with its support (true count)."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    """The evaluation of one classifier on one corpus."""

    total: int
    per_class: dict[Category, ClassMetrics]
    macro_f1: float
    false_ticket_rate: float
    missed_report_rate: float
    subtype_accuracy: float
    urgent_precision: float
    urgent_recall: float
    confusion: dict[Category, dict[Category, int]]
    errors: list[tuple[Example, Verdict]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready summary (errors are not included)."""
        return {
            "total": self.total,
            "per_class": {
                c.value: {
                    "precision": round(m.precision, 4),
                    "recall": round(m.recall, 4),
                    "f1": round(m.f1, 4),
                    "support": m.support,
                }
                for c, m in self.per_class.items()
            },
            "macro_f1": round(self.macro_f1, 4),
            "false_ticket_rate": round(self.false_ticket_rate, 4),
            "missed_report_rate": round(self.missed_report_rate, 4),
            "subtype_accuracy": round(self.subtype_accuracy, 4),
            "urgent_precision": round(self.urgent_precision, 4),
            "urgent_recall": round(self.urgent_recall, 4),
            "confusion": {t.value: {p.value: n for p, n in row.items()} for t, row in self.confusion.items()},
        }


def load_examples(path: str | Path) -> list[Example]:
    """Read a labelled JSONL file.

    Raises:
        ValueError: With the line number, if a line is not a valid example.
    """
    examples: list[Example] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, urgent = row["text"], row.get("urgent", False)
            if not isinstance(text, str) or not isinstance(urgent, bool):
                raise ValueError("text must be a string and urgent true or false")
            subtype = Subtype(row["subtype"]) if row.get("subtype") else None
            examples.append(Example(text, Category(row["category"]), subtype, urgent))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: bad example: {exc}") from exc
    return examples


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def evaluate(classifier: Classifier, examples: list[Example]) -> Report:
    """Classify every example and compute the metrics.

    Args:
        classifier: The classifier to evaluate.
        examples: Labelled messages.

    Returns:
        The report, including the misclassified examples in ``errors``.
    """
    confusion = {t: dict.fromkeys(CATEGORIES, 0) for t in CATEGORIES}
    errors: list[tuple[Example, Verdict]] = []
    subtype_total = subtype_right = 0
    urgent_tp = urgent_fp = urgent_fn = 0
    for example in examples:
        verdict = classifier.classify(example.text)
        confusion[example.category][verdict.category] += 1
        wrong = verdict.category is not example.category or verdict.urgent != example.urgent
        if example.category is Category.SERVICE and verdict.category is Category.SERVICE:
            subtype_total += 1
            subtype_right += verdict.subtype is example.subtype
            wrong = wrong or verdict.subtype is not example.subtype
        urgent_tp += verdict.urgent and example.urgent
        urgent_fp += verdict.urgent and not example.urgent
        urgent_fn += example.urgent and not verdict.urgent
        if wrong:
            errors.append((example, verdict))
    per_class: dict[Category, ClassMetrics] = {}
    for c in CATEGORIES:
        tp = confusion[c][c]
        predicted = sum(confusion[t][c] for t in CATEGORIES)
        support = sum(confusion[c].values())
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        f1 = _ratio(int(2 * precision * recall * 1e9), int((precision + recall) * 1e9))
        per_class[c] = ClassMetrics(precision, recall, f1, support)
    true_none = sum(confusion[Category.NONE].values())
    true_reports = sum(sum(confusion[t].values()) for t in CATEGORIES if t is not Category.NONE)
    missed = sum(confusion[t][Category.NONE] for t in CATEGORIES if t is not Category.NONE)
    return Report(
        total=len(examples),
        per_class=per_class,
        macro_f1=sum(m.f1 for m in per_class.values()) / len(per_class),
        false_ticket_rate=_ratio(true_none - confusion[Category.NONE][Category.NONE], true_none),
        missed_report_rate=_ratio(missed, true_reports),
        subtype_accuracy=_ratio(subtype_right, subtype_total),
        urgent_precision=_ratio(urgent_tp, urgent_tp + urgent_fp),
        urgent_recall=_ratio(urgent_tp, urgent_tp + urgent_fn),
        confusion=confusion,
        errors=errors,
    )
