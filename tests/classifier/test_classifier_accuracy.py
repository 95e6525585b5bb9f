"""Accuracy guards: the two fresh held-out corpora, and the tuning data.

Both held-outs were written and committed before the rules of their round were changed,
never tuned against, and scored once at the end (figures in docs/classification.md):

* ``classify_holdout.jsonl`` (394 messages, committed in 7289950);
* ``classify_holdout2.jsonl`` (322 messages, 51% none, heavy in hard negatives: ads, offers,
  thanks for finished repairs, schedule questions, notices), committed in b6c91c1 before the
  false-ticket round.

Where a held-out met an issue target the floor below IS the target. Where it did not, the
floor is the measured figure with a small margin, and the comment says so: those floors
record what was achieved, not what was asked.

The last test guards the tuning data (train + the old test split) against regressions when
rules are edited; it says nothing about generalisation.
"""

from __future__ import annotations

from pathlib import Path

from bot.classifier import Classifier
from bot.classifier.evaluate import evaluate, load_examples

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def test_first_held_out() -> None:
    report = evaluate(
        Classifier.from_path(ROOT / "rules.yaml"), load_examples(DATA / "classify_holdout.jsonl")
    )
    assert report.total >= 300
    assert report.macro_f1 >= 0.92  # issue target (measured 0.930)
    assert report.missed_report_rate <= 0.05  # issue target (measured 2.6%)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.988)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.980)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.906)
    assert report.false_ticket_rate <= 0.055  # measured 4.9%: the 3% target is NOT met


def test_second_held_out() -> None:
    report = evaluate(
        Classifier.from_path(ROOT / "rules.yaml"), load_examples(DATA / "classify_holdout2.jsonl")
    )
    assert report.total >= 300
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.947)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.862)
    # Targets NOT met on this held-out; the floors are the measured figures with a margin.
    assert report.macro_f1 >= 0.87  # measured 0.884 (target 0.92)
    assert report.false_ticket_rate <= 0.105  # measured 9.7% (target 3%)
    assert report.missed_report_rate <= 0.085  # measured 7.6% (target 5%)
    assert report.urgent_recall >= 0.88  # measured 0.893 (target 0.95)


def test_tuning_data_does_not_regress() -> None:
    classifier = Classifier.from_path(ROOT / "rules.yaml")
    examples = load_examples(DATA / "classify_train.jsonl") + load_examples(DATA / "classify_test.jsonl")
    report = evaluate(classifier, examples)
    assert report.macro_f1 >= 0.96  # measured 0.977
    assert report.false_ticket_rate <= 0.03  # measured 2.5%
    assert report.missed_report_rate <= 0.02  # measured 0.8%
    assert report.urgent_recall >= 0.98  # measured 0.994
