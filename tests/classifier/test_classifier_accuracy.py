"""Accuracy guards: the four fresh held-out corpora, and the tuning data.

Each held-out was written and committed before the rules of its round were changed,
never tuned against, and scored once at the end of each later round (figures in
docs/classification.md; the measured figures below are those of the urgent round):

* ``classify_holdout.jsonl`` (394 messages, committed in 7289950);
* ``classify_holdout2.jsonl`` (322 messages, 51% none, heavy in hard negatives: ads, offers,
  thanks for finished repairs, schedule questions, notices), committed in b6c91c1 before the
  false-ticket round;
* ``classify_holdout3.jsonl`` (207 messages, 53% none: service requests phrased many ways and
  service-looking non-requests), committed in 3bed657 before the service-gate round;
* ``classify_holdout4.jsonl`` (124 messages: 52 urgent reports typed in panic, 30 non-urgent
  reports of the same kinds, 42 urgent-looking non-reports), committed in 32e05f8 before the
  urgent round.

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
    assert report.macro_f1 >= 0.92  # issue target (measured 0.939)
    assert report.false_ticket_rate <= 0.03  # issue target (measured 2.5%)
    assert report.missed_report_rate <= 0.05  # issue target (measured 3.0%)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.988)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.980)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.906)


def test_second_held_out() -> None:
    report = evaluate(
        Classifier.from_path(ROOT / "rules.yaml"), load_examples(DATA / "classify_holdout2.jsonl")
    )
    assert report.total >= 300
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.944)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.862)
    # Targets NOT met on this held-out; the floors are the measured figures with a margin.
    assert report.macro_f1 >= 0.87  # measured 0.885 (target 0.92)
    assert report.false_ticket_rate <= 0.085  # measured 7.9% (target 3%)
    assert report.missed_report_rate <= 0.11  # measured 10.2%, worse than 7.6% before the gate (target 5%)
    assert (
        report.urgent_recall >= 0.91
    )  # measured 0.929 (26 of 28; 0.893 before the urgent round; target 0.95)


def test_third_held_out() -> None:
    report = evaluate(
        Classifier.from_path(ROOT / "rules.yaml"), load_examples(DATA / "classify_holdout3.jsonl")
    )
    assert report.total >= 200
    assert report.macro_f1 >= 0.92  # issue target (measured 0.936)
    assert report.false_ticket_rate <= 0.03  # issue target (measured 1.8%)
    assert report.missed_report_rate <= 0.05  # issue target (measured 2.0%)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.936)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.818)
    # NOT met: 9 of 11 urgent reports found; the floor is the measured figure with a margin.
    assert report.urgent_recall >= 0.8  # measured 0.818 (target 0.95)


def test_fourth_held_out() -> None:
    report = evaluate(
        Classifier.from_path(ROOT / "rules.yaml"), load_examples(DATA / "classify_holdout4.jsonl")
    )
    assert report.total >= 120
    assert report.macro_f1 >= 0.92  # issue target (measured 0.953)
    assert report.missed_report_rate <= 0.05  # issue target (measured 1.2%)
    assert (
        report.urgent_recall >= 0.95
    )  # issue target (measured 1.000, 52 of 52; 0.923 before the urgent round)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.912)
    # Targets NOT met on this held-out; the floors are the measured figures with a margin.
    assert report.false_ticket_rate <= 0.055  # measured 4.8%, 2 of 42 (target 3%)
    assert report.subtype_accuracy >= 0.8  # measured 0.824, 14 of 17 (target 0.88)


def test_tuning_data_does_not_regress() -> None:
    classifier = Classifier.from_path(ROOT / "rules.yaml")
    examples = load_examples(DATA / "classify_train.jsonl") + load_examples(DATA / "classify_test.jsonl")
    report = evaluate(classifier, examples)
    assert report.macro_f1 >= 0.955  # measured 0.961 (with the urgent round's 198 dev messages)
    assert report.false_ticket_rate <= 0.03  # measured 2.6%
    assert report.missed_report_rate <= 0.02  # measured 1.7%
    assert report.urgent_recall >= 0.975  # measured 0.983
    assert report.urgent_precision >= 0.95  # measured 0.963
