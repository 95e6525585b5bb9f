"""Accuracy guards: the fresh held-out 6, and the tuning data.

``classify_holdout6.jsonl`` (316 messages, 51% none, 31 urgent) was written and committed
(1a02767) before any rule change of round 6, never tuned against, and scored once before and
once at the end of the round, aggregate figures only (docs/classification.md). Where it meets
an issue target the floor below IS the target; where it does not, the floor is the measured
figure with a small margin, and the comment says so: those floors record what was achieved,
not what was asked.

Held-outs 1-5 (``classify_holdout.jsonl`` .. ``classify_holdout5.jsonl``) were the held-outs
of rounds 1-5. Each had been scored several times, so they are tuning data now (held-outs 1-4
since round 5, held-out 5 since round 6), like the old test split: their errors were analysed
and fixed with families. Their guards, like the last test (train + the old test split), only
catch regressions when rules are edited; they say nothing about generalisation.
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


def test_sixth_held_out() -> None:
    report = _report("classify_holdout6.jsonl")
    assert report.total >= 316
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.935, 43 of 46; same before)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.839, 26 of 31 flagged)
    # Targets NOT met on this held-out; the floors are the measured figures with a margin.
    assert report.macro_f1 >= 0.875  # measured 0.890 (0.887 before round 6; target 0.92)
    assert report.false_ticket_rate <= 0.085  # measured 7.5%, 12 of 161 (8.1% before; target 3%)
    assert report.missed_report_rate <= 0.075  # measured 6.5%, 10 of 155 (same before; target 5%)
    assert report.urgent_recall >= 0.8  # measured 0.839, 26 of 31 (same before; target 0.95)


# Tuning data since round 6 (held-out 5 of round 5): measured after round 6, floors a little below.


def test_fifth_held_out_tuning_data() -> None:
    report = _report("classify_holdout5.jsonl")
    assert report.macro_f1 >= 0.96  # measured 0.973 (0.899 when it was scored as a held-out)
    assert report.false_ticket_rate <= 0.015  # measured 0.0% (7.1% as a held-out)
    assert report.missed_report_rate <= 0.015  # measured 0.5%
    assert report.subtype_accuracy >= 0.95  # measured 0.973
    assert report.urgent_recall >= 0.97  # measured 1.000, 42 of 42
    assert report.urgent_precision >= 0.93  # measured 0.955


# Tuning data since round 5: measured after round 5, floors a little below (still met after round 6).


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
    assert report.macro_f1 >= 0.975  # measured 0.997 (0.991 after round 5)
    assert report.false_ticket_rate <= 0.015  # measured 0.0%
    assert report.missed_report_rate <= 0.03  # measured 1.0% (2.0% after round 5)
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
    assert report.macro_f1 >= 0.97  # measured 0.974 (with round 6's 238 dev messages; 0.976 after round 5)
    assert report.false_ticket_rate <= 0.02  # measured 1.4% (1.2% after round 5, fewer dev messages)
    assert report.missed_report_rate <= 0.02  # measured 1.1%
    assert report.urgent_recall >= 0.98  # measured 0.989
    assert report.urgent_precision >= 0.96  # measured 0.972
