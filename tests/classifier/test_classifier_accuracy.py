"""Accuracy guards: the blind held-outs (9-28), held-out 6 left out of the model's training, and the tuning data.

The held-outs in ``HELD_OUT_FILES`` are guarded from one table (``HELD_OUTS``): every issue
target is a floor unless the file misses it, and then the measured figure with a small margin is.

``classify_holdout6.jsonl`` (316 messages, 51% none, 31 urgent) was written and committed
(1a02767) before any rule change of round 6 and never tuned against by the rules. Since the
learned report model (docs/classification.md, "The report model") it IS training data of the
shipped model (``rules.yaml`` names ``classifier_model.json``, trained on ``TRAINING_FILES``),
so the shipped classifier's figures on it are no longer held-out figures:
``test_sixth_held_out_as_training_data`` only guards against regressions.
``test_sixth_held_out_left_out_of_training`` is the honest one: it trains the model on the other
training files (as ``weigrid rules train`` does, same settings) and scores held-out 6, which the rules
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


# The targets: a floor for the first four figures, a ceiling for the rates.
TARGETS = {
    "macro_f1": 0.92,
    "false_ticket_rate": 0.03,
    "missed_report_rate": 0.05,
    "subtype_accuracy": 0.88,
    "urgent_recall": 0.95,
    "urgent_precision": 0.7,
}
CEILINGS = frozenset({"false_ticket_rate", "missed_report_rate"})
# The blind held-outs (HELD_OUT_FILES): never tuned on, never trained on, scored once before and
# once after each change (docs/classification.md, "Where the targets stand", has each one's
# origin and history). Each row: the message count, and for every target NOT met on that file,
# the measured figure with a small margin; every other figure must meet the issue target.
# Measured after round 14 (F1 / false tickets / missed / subtype / urgent R / P) in the comments.
HELD_OUTS: dict[str, tuple[int, dict[str, float]]] = {
    # 0.946 / 1.9% / 0.9% / 0.988 / 1.000 / 0.852 after round 23 (old Nanchang compound in early December,
    # a6003e1; scored once before round 23: 0.935 / 1.9% / 0.9% / 0.988 / 0.978 / 0.849): every target met,
    # before and after. No training file is in its dialect.
    "classify_holdout28.jsonl": (430, {}),
    # 0.919 / 3.8% / 1.8% / 0.929 / 0.935 / 0.796 after round 22 (Changsha new-build estate in early
    # winter, a748963; scored once before round 22: 0.908 / 3.8% / 2.8% / 0.914 / 0.913 / 0.792, and after
    # the round's first three passes: 0.906 / 3.8% / 2.3%, 0.908 / 3.8% / 1.8%, 0.913). No training file
    # is in its dialect.
    "classify_holdout27.jsonl": (
        430,
        {"macro_f1": 0.89, "false_ticket_rate": 0.045, "urgent_recall": 0.89},
    ),
    # 0.873 / 1.9% / 5.0% / 0.987 / 0.889 / 0.800 after round 21 (old Xi'an work-unit community in late
    # autumn, 2055fb7; scored once before round 21: 0.876 / 1.9% / 5.5% / 0.987 / 0.911 / 0.804). No
    # training file is in its dialect.
    "classify_holdout26.jsonl": (
        430,
        {"macro_f1": 0.86, "missed_report_rate": 0.065, "urgent_recall": 0.87},
    ),
    # 0.910 / 5.6% / 2.3% / 0.965 / 1.000 / 0.754 after round 21 (old Tianjin community in early
    # summer, 430100f; scored once after round 20: 0.904 / 6.1% / 2.3% / 0.964 / 0.978 / 0.738).
    # Round 21 trained on a blind Tianjin file: flattered since.
    # 0.921 / 5.6% / 2.8% / 0.965 / 1.000 / 0.780 after round 23: macro-F1 over its target.
    "classify_holdout25.jsonl": (431, {"false_ticket_rate": 0.075}),
    # 0.930 / 5.5% / 0.5% / 0.978 / 1.000 / 0.767 after round 21 (coastal Shandong
    # factory-dormitory community in spring, b5e6f51; scored once before round 20: 0.915 / 7.8% /
    # 0.5% / 0.978 / 1.000 / 0.730; 0.918 / 7.8% after round 20). Round 21 trained on a blind
    # Jiao-Liao file: flattered since.
    "classify_holdout24.jsonl": (436, {"false_ticket_rate": 0.075}),
    # 0.888 / 3.7% / 1.8% / 0.940 / 1.000 / 0.804 after round 21 (old Wuhan community in the summer
    # heat and flood season, c3b37d9; scored once before round 20: 0.879 / 5.1% / 1.8% / 0.939 /
    # 0.978 / 0.772; 0.882 / 4.2% / 2.3% after round 20). Round 21 trained on a blind Wuhan file:
    # flattered since.
    "classify_holdout23.jsonl": (432, {"macro_f1": 0.87, "false_ticket_rate": 0.055}),
    # 0.937 / 1.4% / 3.4% / 0.944 / 1.000 / 0.917 after round 21; 0.933 / 1.9% / 3.4% / 0.944 / 1.000 / 0.898 after round 20 (new high-rise estate in early
    # winter, 95a08a3; scored once before round 19: 0.920 / 2.4% / 4.3% / 0.944 / 1.000 / 0.898;
    # 0.932 / 1.9% / 3.4% / 0.944 / 1.000 / 0.880 after round 19): every target met
    "classify_holdout22.jsonl": (418, {}),
    # 0.892 / 3.5% / 5.3% / 0.970 / 0.889 / 0.769 after round 21, 0.896 / 3.5% / 4.3% / 0.971 / 0.933 /
    # 0.778 after round 20: round 21's retraining lost one report and two pages (Pearl River Delta urban village
    # in Cantonese-flavoured Mandarin, d592614; scored once before round 19: 0.815 / 5.2% / 13.5% /
    # 0.925 / 0.778 / 0.745; 0.878 / 4.8% / 4.8% / 0.970 / 0.933 / 0.792 after round 19). Its figures
    # before round 19 are why two blind Cantonese training files were commissioned, so the figures
    # since are flattered by files of its dialect.
    # 0.897 / 3.5% / 4.8% / 0.971 / 0.911 / 0.788 after round 22 (missed reports within the target).
    # 0.898 / 3.5% / 5.3% / 0.971 / 0.889 / 0.784 after round 23: the round's rules alone changed
    # nothing here (0.900 / 3.5% / 4.8% / 0.911 with round 22's model); its retraining missed two
    # more reports and one page.
    "classify_holdout21.jsonl": (
        438,
        {"macro_f1": 0.88, "false_ticket_rate": 0.045, "missed_report_rate": 0.06, "urgent_recall": 0.87},
    ),
    # 0.919 / 2.9% / 2.1% / 0.965 / 1.000 / 0.763 after round 20 (north-western estate in the
    # sandstorm season, 2c6e66b; scored once before round 18: 0.900 / 4.9% / 2.5% / 0.965 / 0.978 /
    # 0.721; 0.902 / 4.9% / 2.5% after round 19)
    # 0.926 / 2.9% / 1.3% / 0.966 / 0.978 / 0.772 after round 23: every target met.
    "classify_holdout20.jsonl": (442, {}),
    # 0.885 / 3.8% / 1.6% / 0.949 / 1.000 / 0.770 after round 20 (coastal fishing-county
    # resettlement community, 84f752c; scored once after round 17: 0.888 / 4.3% / 1.6% / 0.941 / 0.957;
    # 0.894 / 3.8% / 1.2% after round 19)
    "classify_holdout19.jsonl": (453, {"macro_f1": 0.87, "false_ticket_rate": 0.05}),
    # 0.900 / 2.8% / 4.6% / 0.967 / 0.935 / 0.860 after round 21; 0.893 / 4.2% / 5.1% / 0.966 / 0.935 / 0.827 after round 20 (central-plains city, 84054ca;
    # after round 15: 0.864 / 7.5% / 5.1% / 0.958 / 0.870; 0.874 / 6.1% / 5.1% / 0.958 / 0.913
    # after round 19). Round 18 trained on central-plains voices and round 20 on the northern
    # heating season: flattered since.
    "classify_holdout18.jsonl": (
        450,
        {
            "macro_f1": 0.88,
            "urgent_recall": 0.91,
        },
    ),
    # 0.886 / 2.8% / 4.1% / 0.958 / 0.978 / 0.917 after round 20 (Jiangnan lane community,
    # c89f1ea; before round 15: 0.855 / 6.5% / 7.2% / 0.948 / 0.933; 0.886 / 3.3% / 5.0% after round
    # 19). Round 18 trained on Wu voices: flattered since.
    # 0.905 / 1.9% / 5.4% / 0.957 / 0.978 / 0.936 after round 23 (its first passes with round 22's
    # model gave 0.900 / 1.9% / 5.0%: the retraining missed two more reports).
    "classify_holdout17.jsonl": (437, {"macro_f1": 0.87, "missed_report_rate": 0.06}),
    # 0.921 / 1.5% / 3.4% / 0.975 / 0.925 / 0.755 after round 21 (south-western hillside, 0f00199;
    # scored once after round 14: 0.915 / 2.5% / 7.4%; 0.925 / 2.0% / 5.4% / 0.975 / 0.925 after
    # round 19; 0.926 / 2.0% / 4.9% / 0.975 / 0.950 after round 20, every target met): round 21's
    # retraining paged one emergency fewer (of 40) and missed two fewer reports; 0.924 / 1.5% / 3.4% /
    # 0.975 / 0.925 / 0.755 after round 22
    "classify_holdout16.jsonl": (405, {"urgent_recall": 0.89}),
    # 0.922 / 2.8% / 9.4% / 0.923 / 0.957 / 0.776 after round 21; 0.918 / 3.7% / 9.4% / 0.923 / 0.957 / 0.763 after round 20 (northern winter, 99e411e; after
    # round 14: 0.910 / 5.6% / 8.0%; after round 19: 0.911 / 4.2% / 8.0% / 0.913 / 0.915). Round 20
    # trained on the northern heating season (its urgent recall rose, 43 -> 45 of 47 paged) and on
    # hard negatives (its missed reports rose, 8.0% -> 9.4%). 0.917 / 3.3% / 9.8% / 0.922 / 0.957 / 0.776
    # after round 22 (one false ticket more from the round's rules, one report fewer from its retraining).
    # 0.922 / 3.3% / 9.4% / 0.924 / 0.957 / 0.776 after round 23 (macro-F1 back over the target).
    "classify_holdout15.jsonl": (
        439,
        {"false_ticket_rate": 0.04, "missed_report_rate": 0.105},
    ),
    # 0.935 / 1.4% / 4.9% / 0.932 / 1.000 / 0.857 after round 20 (bffe1ff; first scored 0.917 /
    # 2.9% / 5.4%; 0.937 / 1.4% / 4.0% after round 19)
    "classify_holdout14.jsonl": (433, {}),
    # 0.945 / 1.4% / 5.5% / 0.958 / 1.000 / 0.849 after round 21 (d4ac115; 0.941 / 1.9% / 4.1% after
    # round 20, every target met): round 21's retraining missed three more of its reports
    "classify_holdout13.jsonl": (429, {"missed_report_rate": 0.065}),
    # 0.919 / 1.9% / 2.8% / 0.957 / 1.000 / 0.750 after round 21 (561c865; after round 11: 0.890 /
    # 5.7% / 2.8%; 0.933 / 1.4% / 0.9% after round 19; 0.920 / 1.4% / 2.8% after round 20); 0.926 / 1.4% /
    # 1.9% / 0.958 / 1.000 / 0.763 after round 22, every target met
    "classify_holdout12.jsonl": (428, {}),
    # 0.929 / 1.4% / 3.3% / 0.966 / 0.957 / 0.863 after round 21 (a641f2f; before round 11: 0.906 / 2.8% / 7.0%)
    "classify_holdout11.jsonl": (431, {}),
    # 0.923 / 1.4% / 5.2% / 0.936 / 0.957 / 0.830 after round 21 (e03b69b; before round 9: 0.905 /
    # 2.8% / 7.1%; 0.921 / 1.9% / 5.2% / 0.936 / 0.957 after round 19; urgent recall 0.935 after
    # round 20): one message over the missed-report target
    "classify_holdout10.jsonl": (
        423,
        {"missed_report_rate": 0.06},
    ),
    # 0.966 / 2.0% / 3.5% / 0.989 / 0.955 / 0.913 after round 20 (172fd60; before round 8: 6.5% false tickets)
    "classify_holdout9.jsonl": (401, {}),
}


def test_every_held_out_file_has_floors() -> None:
    assert {f"tests/data/{name}" for name in HELD_OUTS} == set(HELD_OUT_FILES)
    assert not set(HELD_OUT_FILES) & set(TRAINING_FILES)
    for _, misses in HELD_OUTS.values():
        assert set(misses) <= set(TARGETS)
        # A floor for a missed target is looser than the target (else it should be the target).
        assert all((v > TARGETS[k]) if k in CEILINGS else (v < TARGETS[k]) for k, v in misses.items())


@pytest.mark.parametrize("name", sorted(HELD_OUTS))
def test_held_out(name: str) -> None:
    total, misses = HELD_OUTS[name]
    report = _report(name)
    assert report.total == total
    for figure, target in TARGETS.items():
        bound = misses.get(figure, target)
        value = getattr(report, figure)
        assert (value <= bound) if figure in CEILINGS else (value >= bound), (figure, value, bound)


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
