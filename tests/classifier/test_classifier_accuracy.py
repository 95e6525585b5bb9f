"""Accuracy guards: the fresh held-out 5, and the tuning data.

``classify_holdout5.jsonl`` (351 messages, 44% none, 42 urgent) was written and committed
(2636f92) before any rule change of round 5, never tuned against, and scored once at the end
of the round (figures in docs/classification.md). Where it met an issue target the floor
below IS the target; where it did not, the floor is the measured figure with a small margin,
and the comment says so: those floors record what was achieved, not what was asked.

Held-outs 1-4 (``classify_holdout.jsonl`` .. ``classify_holdout4.jsonl``) were held-outs of
rounds 1-4. They had been scored several times, so from round 5 on they are tuning data (like
the old test split): their errors were analysed and fixed with families. Their guards, like
the last test (train + the old test split), only catch regressions when rules are edited; they
say nothing about generalisation.
"""

from __future__ import annotations

from pathlib import Path

from bot.classifier import Classifier
from bot.classifier.evaluate import Report, evaluate, load_examples

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _report(*names: str) -> Report:
    examples = [e for name in names for e in load_examples(DATA / name)]
    return evaluate(Classifier.from_path(ROOT / "rules.yaml"), examples)


def test_fifth_held_out() -> None:
    report = _report("classify_holdout5.jsonl")
    assert report.total >= 350
    assert report.missed_report_rate <= 0.05  # issue target (measured 3.6%; 4.6% before round 5)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.971)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.952, 40 of 42)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.889)
    # Targets NOT met on this held-out; the floors are the measured figures with a margin.
    assert report.macro_f1 >= 0.885  # measured 0.899 (0.882 before round 5; target 0.92)
    assert report.false_ticket_rate <= 0.08  # measured 7.1%, 11 of 156 (9.0% before; target 3%)


# Tuning data since round 5: measured after round 5, floors a little below.


def test_first_held_out_tuning_data() -> None:
    report = _report("classify_holdout.jsonl")
    assert report.macro_f1 >= 0.975  # measured 0.988
    assert report.false_ticket_rate <= 0.015  # measured 0.0%
    assert report.missed_report_rate <= 0.015  # measured 0.4%
    assert report.subtype_accuracy >= 0.98  # measured 1.000
    assert report.urgent_recall >= 0.97  # measured 0.980
    assert report.urgent_precision >= 0.95  # measured 0.980


def test_second_held_out_tuning_data() -> None:
    report = _report("classify_holdout2.jsonl")
    assert report.macro_f1 >= 0.97  # measured 0.983
    assert report.false_ticket_rate <= 0.03  # measured 1.8%
    assert report.missed_report_rate <= 0.015  # measured 0.6%
    assert report.subtype_accuracy >= 0.96  # measured 0.984
    assert report.urgent_recall >= 0.96  # measured 1.000
    assert report.urgent_precision >= 0.95  # measured 1.000


def test_third_held_out_tuning_data() -> None:
    report = _report("classify_holdout3.jsonl")
    assert report.macro_f1 >= 0.975  # measured 0.991
    assert report.false_ticket_rate <= 0.015  # measured 0.0%
    assert report.missed_report_rate <= 0.03  # measured 2.0%
    assert report.subtype_accuracy >= 0.94  # measured 0.957
    assert report.urgent_recall >= 0.8  # measured 0.818, 9 of 11: still under the 0.95 target
    assert report.urgent_precision >= 0.85  # measured 0.900


def test_fourth_held_out_tuning_data() -> None:
    report = _report("classify_holdout4.jsonl")
    assert report.macro_f1 >= 0.975  # measured 0.988
    assert report.false_ticket_rate <= 0.015  # measured 0.0%
    assert report.missed_report_rate <= 0.025  # measured 1.2%
    assert report.subtype_accuracy >= 0.92  # measured 0.947
    assert report.urgent_recall >= 0.98  # measured 1.000
    assert report.urgent_precision >= 0.94  # measured 0.963


def test_tuning_data_does_not_regress() -> None:
    report = _report("classify_train.jsonl", "classify_test.jsonl")
    assert report.macro_f1 >= 0.97  # measured 0.976 (with round 5's 391 dev messages)
    assert report.false_ticket_rate <= 0.02  # measured 1.2%
    assert report.missed_report_rate <= 0.02  # measured 1.3%
    assert report.urgent_recall >= 0.98  # measured 0.988
    assert report.urgent_precision >= 0.96  # measured 0.973
