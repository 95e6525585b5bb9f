"""Accuracy guards: held-out 9, held-out 6 left out of the model's training, and the tuning data.

``classify_holdout6.jsonl`` (316 messages, 51% none, 31 urgent) was written and committed
(1a02767) before any rule change of round 6 and never tuned against by the rules. Since the
learned report model (docs/classification.md, "The report model") it IS training data of the
shipped model (``rules.yaml`` names ``classifier_model.json``, trained on all ten tuning files),
so the shipped classifier's figures on it are no longer held-out figures:
``test_sixth_held_out_as_training_data`` only guards against regressions.
``test_sixth_held_out_left_out_of_training`` is the honest one: it trains the model on the other
nine files (as ``weigrid rules train`` does, same settings) and scores held-out 6, which the rules
were not tuned on and the model has not seen. Where that meets an issue target the floor IS the
target; where it does not, the floor is the measured figure with a small margin.

Held-outs 1-5 (``classify_holdout.jsonl`` .. ``classify_holdout5.jsonl``) were the held-outs
of rounds 1-5. Each had been scored several times, so they are tuning data now (held-outs 1-4
since round 5, held-out 5 since round 6), like the old test split: their errors were analysed
and fixed with families, and the model is trained on them. Held-out 7
(``classify_holdout7.jsonl``, 425 messages, committed 229f544) was scored once before and once
after the report model, then became tuning data in round 7: its errors were fixed with families
and the model is trained on it. Held-out 8 (``classify_holdout8.jsonl``, 410 messages, committed
e0bb1f4) was scored once before and once after round 7, then became tuning data in round 8 in the
same way. Their guards, like the last test (train + the old test split), only catch regressions;
they say nothing about generalisation.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.classifier import Classifier, load_rules
from bot.classifier.evaluate import Report, evaluate, load_examples
from bot.classifier.training import HELD_OUT_FILES, TRAINING_FILES, labelled_files, train

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _report(*names: str) -> Report:
    examples = [e for name in names for e in load_examples(DATA / name)]
    return evaluate(Classifier.from_path(ROOT / "rules.yaml"), examples)


def test_sixteenth_held_out() -> None:
    """Held-out 16 (405 messages, committed 0f00199): a south-western hillside community, written blind.

    Written during round 14 in a region and dialect no training file is built around, scored
    once with the shipped classifier (everything chosen): the freshest measure, and the "before"
    of the next round. Where a figure meets the issue target the floor IS the target; otherwise
    it is the measured figure with a small margin.
    """
    assert "tests/data/classify_holdout16.jsonl" in HELD_OUT_FILES
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    report = _report("classify_holdout16.jsonl")
    assert report.total == 405
    assert report.false_ticket_rate <= 0.03  # issue target (measured 2.5%, 5 of 201)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.974)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.950, 38 of 40)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.745)
    # Targets NOT met on held-out 16; the floors are the measured figures with a margin.
    assert report.macro_f1 >= 0.9  # measured 0.915 (target 0.92; rules alone 0.856)
    assert report.missed_report_rate <= 0.09  # measured 7.4%, 15 of 204 (target 5%; rules alone 14.7%)


def test_fifteenth_held_out() -> None:
    """Held-out 15 (439 messages, committed 99e411e): a northern winter community, written blind.

    Scored once with the classifier of round 12 (rechoose included) before anything else changed
    (0.904 / 5.1% / 8.5% / 0.913 / 0.936 / 0.786: F1, false tickets, missed, subtype, urgent R / P)
    and after rounds 13 and 14: a region and season no other corpus covers (northern dialect, coal
    stoves, heating), and the weakest figures of any fresh set. Where a figure meets the issue
    target the floor IS the target; otherwise it is the measured figure with a small margin.
    """
    assert "tests/data/classify_holdout15.jsonl" in HELD_OUT_FILES
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    report = _report("classify_holdout15.jsonl")
    assert report.total == 439
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.913)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.957, 45 of 47; 0.936 before round 14)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.789)
    # Targets NOT met on held-out 15; the floors are the measured figures with a margin.
    assert report.macro_f1 >= 0.89  # measured 0.910 (target 0.92; rules alone 0.811)
    assert report.false_ticket_rate <= 0.07  # measured 5.6%, 12 of 215 (target 3%; rules alone 11.6%)
    assert report.missed_report_rate <= 0.095  # measured 8.0%, 18 of 224 (target 5%; rules alone 17.0%)


def test_fourteenth_held_out() -> None:
    """Held-out 14 (433 messages, committed bffe1ff): written blind at the end of round 12, scored once.

    Scored once with round 12's classifier (0.917 / 2.9% / 5.4% / 0.931 / 0.958 / 0.821), after
    round 13 (0.916 / 2.9% / 4.0% / 0.933 / 0.958 / 0.836) and after round 14; never tuned on, never
    trained on. Where a figure meets the issue target the
    floor IS the target; otherwise it is the measured figure with a small margin.
    """
    assert "tests/data/classify_holdout14.jsonl" in HELD_OUT_FILES
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    report = _report("classify_holdout14.jsonl")
    assert report.total == 433
    assert report.missed_report_rate <= 0.05  # issue target (measured 4.5%, 10 of 224; 5.4% after round 12)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.931)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.958, 46 of 48)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.836)
    # Targets NOT met on held-out 14; the floors are the measured figures with a margin.
    assert report.macro_f1 >= 0.905  # measured 0.917 (target 0.92; 0.917 after round 12)
    assert report.false_ticket_rate <= 0.045  # measured 3.3%, 7 of 209 (target 3%; 2.9% after round 13)


def test_thirteenth_held_out() -> None:
    """Held-out 13 (429 messages, committed d4ac115): written blind during round 12.

    Scored once after round 12's thresholds (0.932 / 2.4% / 4.1% / 0.947 / 1.000 / 0.833: F1, false
    tickets, missed, subtype, urgent R / P) and once after the kind stage's `rechoose`. Never tuned
    on, never trained on. Every issue target is met on it, so every floor IS the target.
    """
    assert "tests/data/classify_holdout13.jsonl" in HELD_OUT_FILES
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    report = _report("classify_holdout13.jsonl")
    assert report.total == 429
    assert report.macro_f1 >= 0.92  # issue target (measured 0.950)
    assert report.false_ticket_rate <= 0.03  # issue target (measured 1.9%, 4 of 209)
    assert report.missed_report_rate <= 0.05  # issue target (measured 4.1%, 9 of 220)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.958)
    assert report.urgent_recall >= 0.95  # issue target (measured 1.000, 45 of 45)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.833)


def test_twelfth_held_out() -> None:
    """Held-out 12 (428 messages, committed 561c865): written before round 11's rule changes.

    Scored once after round 11 (0.890 / 5.7% / 2.8% / 0.957 / 1.000 / 0.763: F1, false tickets,
    missed, subtype, urgent R / P), after round 12 (0.903 / 2.8% / 2.3% / 0.957 / 1.000 / 0.763) and
    after `rechoose`. Written blind (its writer saw only the
    last five commit headlines), never tuned on, never trained on. Where a figure meets the issue
    target the floor IS the target; otherwise it is the measured figure with a small margin.
    """
    assert "tests/data/classify_holdout12.jsonl" in HELD_OUT_FILES
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    report = _report("classify_holdout12.jsonl")
    assert report.total == 428
    assert report.missed_report_rate <= 0.05  # issue target (measured 1.9%, 4 of 216)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.957)
    assert report.urgent_recall >= 0.95  # issue target (measured 1.000, 45 of 45)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.776)
    # Targets NOT met on held-out 12; the floors are the measured figures with a margin.
    assert report.macro_f1 >= 0.905  # measured 0.920 (target 0.92; 0.890 after round 11)
    assert (
        report.false_ticket_rate <= 0.045
    )  # measured 3.3%, 7 of 212 (target 3%; 5.7% after round 11, 2.8% after 12)


def test_eleventh_held_out() -> None:
    """Held-out 11 (431 messages, committed a641f2f): written after round 10, scored before and after rounds 11 and 12.

    Before round 11: 0.906 / 2.8% / 7.0% / 0.942 / 0.913 / 0.840 (F1, false tickets, missed,
    subtype, urgent R / P); after it 0.920 / 3.2% / 4.2% / 0.956 / 0.957 / 0.830; after round 12's
    thresholds 0.924 / 1.9% / 4.2% / 0.955 / 0.957 / 0.830; then after `rechoose`. Never tuned on,
    never trained on. Where a figure meets the issue target the floor IS the target; otherwise it
    is the measured figure with a small margin.
    """
    assert "tests/data/classify_holdout11.jsonl" in HELD_OUT_FILES
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    report = _report("classify_holdout11.jsonl")
    assert report.total == 431
    assert report.false_ticket_rate <= 0.03  # issue target (measured 1.9%, 4 of 216)
    assert report.missed_report_rate <= 0.05  # issue target (measured 4.7%, 10 of 215)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.966)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.957, 44 of 46)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.830)
    # Target NOT met after rechoose; the floor is the measured figure with a margin.
    assert report.macro_f1 >= 0.905  # measured 0.918 (target 0.92; 0.924 before rechoose)


def test_tenth_held_out() -> None:
    """Held-out 10 (423 messages, committed e03b69b): never tuned on, never in the model's training files.

    Scored once before rounds 9 and 10 (0.905 / 2.8% / 7.1% / 0.921 / 0.870 / 0.816: F1, false
    tickets, missed, subtype, urgent R / P), once after them (0.905 / 1.9% / 7.1% / 0.934 / 0.891 /
    0.837), once after round 11 and once after round 12 (docs/classification.md, "Where the targets
    stand"). Where a
    figure meets the issue target the floor IS the target; otherwise it is the measured figure with
    a small margin. It stays a held-out: do not tune against it.
    """
    assert "tests/data/classify_holdout10.jsonl" in HELD_OUT_FILES
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    report = _report("classify_holdout10.jsonl")
    assert report.total == 423
    assert report.false_ticket_rate <= 0.03  # issue target (measured 2.4%, 5 of 212)
    assert report.missed_report_rate <= 0.05  # issue target (measured 4.7%, 10 of 211; 7.1% after round 10)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.935)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.957, 44 of 46; 0.891 after round 10)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.846)
    # Target NOT met on held-out 10; the floor is the measured figure with a margin.
    assert report.macro_f1 >= 0.905  # measured 0.917 (target 0.92; 0.905 after round 10)


def test_ninth_held_out() -> None:
    """Held-out 9 (401 messages, committed 172fd60): never tuned on, never in the model's training files.

    Scored once before round 8, once after it, once after rounds 9 and 10 and once each after
    rounds 11 and 12 (docs/classification.md, "Where the targets stand"). Where a figure meets the issue target the floor IS the target;
    otherwise it is the measured figure with a small margin. It stays a held-out: do not tune
    against it, and keep it out of TRAINING_FILES.
    """
    assert "tests/data/classify_holdout9.jsonl" in HELD_OUT_FILES
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    report = _report("classify_holdout9.jsonl")
    assert report.total == 401
    assert report.macro_f1 >= 0.92  # issue target (measured 0.938; 0.927 after round 10)
    assert report.missed_report_rate <= 0.05  # issue target (measured 3.0%, 6 of 200; 4.5% after round 10)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.988)
    assert report.urgent_recall >= 0.95  # issue target (measured 0.955, 42 of 44; 0.977 after round 10)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.913)
    # Target NOT met on held-out 9; the floor is the measured figure with a margin.
    assert report.false_ticket_rate <= 0.065  # measured 5.0%, 10 of 201 (target 3%; 5.5% after round 10)


def test_sixth_held_out_left_out_of_training() -> None:
    held_out = "tests/data/classify_holdout6.jsonl"
    rules = load_rules(ROOT / "rules.yaml", with_model=False)
    model = train(Classifier(rules), labelled_files(ROOT / n for n in TRAINING_FILES if n != held_out))
    report = evaluate(Classifier(replace(rules, model=model)), load_examples(ROOT / held_out))
    assert report.total >= 316
    # Measured after round 13 (rounds 9 and 10's in brackets). Held-out 6 was never tuned on by the
    # rules: with the model left out of it, this is an honest estimate of fresh text.
    assert report.macro_f1 >= 0.92  # issue target (measured 0.945 [0.916]; rules alone 0.894)
    assert report.subtype_accuracy >= 0.88  # issue target (measured 0.941 [0.940]; rules alone 0.957)
    assert report.urgent_precision >= 0.7  # issue target (measured 0.906 [0.875])
    assert report.missed_report_rate <= 0.05  # issue target (measured 0.6%, 1 of 155 [0.6%]; rules 6.5%)
    # Targets NOT met; the floors are the measured figures with a margin.
    assert report.false_ticket_rate <= 0.04  # measured 3.1%, 5 of 161 [3.7%] (rules 6.8%; target 3%)
    assert report.urgent_recall >= 0.9  # measured 0.935, 29 of 31 [0.903] (0.968 after round 12)


def test_sixth_held_out_as_training_data() -> None:
    report = _report("classify_holdout6.jsonl")  # the shipped model was trained on it: a fit, not a held-out
    # Measured after round 10 (round 8's in brackets).
    assert report.macro_f1 >= 0.9  # measured 0.924 [0.911]
    assert report.false_ticket_rate <= 0.045  # measured 1.9% [3.7%]
    assert report.missed_report_rate <= 0.02  # measured 0.0% [0.6%]
    assert report.subtype_accuracy >= 0.9  # measured 0.940 (0.920 before round 7)
    assert report.urgent_recall >= 0.8  # measured 0.968 [0.839] (target 0.95)
    assert report.urgent_precision >= 0.8  # measured 0.882 [0.867]


# The earlier held-outs are tuning data now (held-outs 1-4 since round 5, held-out 5 since round 6).
# Floors a little below the figures measured after round 6 (rules alone; with the model every figure
# is within 0.01: macro-F1 0.988, 0.989, 0.992, 0.992, 0.975, at most 0.6% false tickets and 0.6%
# missed); the comments give what was measured after round 6.
# Columns: macro-F1 >=, false tickets <=, missed reports <=, subtype accuracy >=, urgent recall >=,
# urgent precision >=.
TUNING_FLOORS = {
    # held-out 8 (tuning data since round 8), shipped rules + model, a fit: measured 0.963, 1.0%, 2.9%,
    # 0.955, 1.000 (48/48), 0.980 (as a held-out: 0.883 / 12.7% / 6.8% / 0.952 / 0.938 / 0.865 with the
    # rules alone, 0.925 / 7.8% / 3.4% with the report model; left out of the model after round 8:
    # 0.958 / 1.5% / 3.4%, a fit of the rules)
    "classify_holdout8.jsonl": (0.95, 0.02, 0.04, 0.94, 0.97, 0.95),
    # held-out 7 (tuning data since round 7), shipped rules + model, a fit: measured 0.966, 2.4%, 1.4%,
    # 0.959, 1.000 (43/43), 0.977 after round 7; 0.964, 2.4%, 2.8%, 0.969 after round 8 (the veto
    # threshold rose from 0.35 to 0.45) (as a held-out: 0.839 / 15.6% / 9.3% / 0.956 / 0.884 / 0.792 with
    # the rules alone, 0.901 / 8.5% / 4.2% / 0.958 / 0.884 / 0.792 with the first report model)
    "classify_holdout7.jsonl": (0.95, 0.035, 0.04, 0.94, 0.97, 0.95),
    # held-out 5: measured 0.973, 0.0%, 0.5%, 0.973, 1.000 (42/42), 0.955 (0.899 / 7.1% as a held-out)
    "classify_holdout5.jsonl": (0.96, 0.015, 0.015, 0.95, 0.97, 0.93),
    # held-out 1: measured 0.988, 0.0%, 0.4%, 1.000, 0.980, 0.980
    "classify_holdout.jsonl": (0.975, 0.015, 0.015, 0.98, 0.97, 0.95),
    # held-out 2: measured 0.983, 1.8%, 0.6%, 0.984, 1.000, 1.000
    "classify_holdout2.jsonl": (0.97, 0.03, 0.015, 0.96, 0.96, 0.95),
    # held-out 3: measured 0.997, 0.0%, 1.0%, 0.957, 0.818 (9/11: still under the 0.95 target), 0.900
    "classify_holdout3.jsonl": (0.975, 0.015, 0.03, 0.94, 0.8, 0.85),
    # held-out 4: measured 0.988, 0.0%, 1.2%, 0.947, 1.000, 0.963
    "classify_holdout4.jsonl": (0.975, 0.015, 0.025, 0.92, 0.98, 0.94),
}


@pytest.mark.parametrize("name", sorted(TUNING_FLOORS))
def test_earlier_held_outs_as_tuning_data(name: str) -> None:
    f1, false_tickets, missed, subtype, recall, precision = TUNING_FLOORS[name]
    report = _report(name)
    assert report.macro_f1 >= f1
    assert report.false_ticket_rate <= false_tickets
    assert report.missed_report_rate <= missed
    assert report.subtype_accuracy >= subtype
    assert report.urgent_recall >= recall
    assert report.urgent_precision >= precision


def test_tuning_data_does_not_regress() -> None:
    report = _report("classify_train.jsonl", "classify_test.jsonl")
    # Measured after round 7 with the shipped rules + model (3,166 messages, with round 7's 75 short
    # ones): 0.977, 1.1%, 0.6%, 0.989, 0.976 (after round 6, rules alone: 0.974, 1.4%, 1.1%, 0.989, 0.972).
    assert report.macro_f1 >= 0.97
    assert report.false_ticket_rate <= 0.02
    assert report.missed_report_rate <= 0.02
    assert report.urgent_recall >= 0.98
    assert report.urgent_precision >= 0.96
