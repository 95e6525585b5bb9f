"""Accuracy guards: the fresh held-out corpus, and the tuning data.

tests/data/classify_holdout.jsonl (394 messages) was written and committed before any rule
was changed in this round and was scored once, at the end (docs/classification.md). The
floors below are the issue's targets where the held-out met them (macro-F1, missed-report
rate, subtype accuracy, urgent recall and precision). The false-ticket rate did NOT meet its
3% target (7.4% measured), so it is guarded at 8%: that floor records the measured figure,
not the target.

The second test guards the tuning data (train + the old test split, now dev data) against
regressions when rules are edited; it says nothing about generalisation.
"""

from __future__ import annotations

from pathlib import Path

from bot.classifier import Classifier
from bot.classifier.evaluate import evaluate, load_examples

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def test_fresh_held_out_targets() -> None:
    report = evaluate(
        Classifier.from_path(ROOT / "rules.yaml"), load_examples(DATA / "classify_holdout.jsonl")
    )
    assert report.total >= 300
    assert report.macro_f1 >= 0.92  # issue target
    assert report.missed_report_rate <= 0.05  # issue target
    assert report.subtype_accuracy >= 0.88  # issue target
    assert report.urgent_recall >= 0.95 and report.urgent_precision >= 0.7  # issue targets
    assert report.false_ticket_rate <= 0.08  # measured 7.4%; the 3% target is NOT met


def test_tuning_data_does_not_regress() -> None:
    classifier = Classifier.from_path(ROOT / "rules.yaml")
    examples = load_examples(DATA / "classify_train.jsonl") + load_examples(DATA / "classify_test.jsonl")
    report = evaluate(classifier, examples)
    assert report.macro_f1 >= 0.96
    assert report.false_ticket_rate <= 0.03
    assert report.missed_report_rate <= 0.02
    assert report.urgent_recall >= 0.98
