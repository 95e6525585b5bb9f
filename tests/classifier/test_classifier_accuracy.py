"""Held-out accuracy guard on tests/data/classify_test.jsonl.

The rules were tuned on the train split only. The floors below sit just under the figures
measured at the first look at the test split (see docs/classification.md); they catch
regressions. The issue's targets (macro-F1 0.92, missed-report 5%, subtype 0.88, urgent
recall 0.95) are NOT met yet on this split, so they are not asserted here.
"""

from __future__ import annotations

from pathlib import Path

from bot.classifier import Classifier
from bot.classifier.evaluate import evaluate, load_examples

ROOT = Path(__file__).resolve().parents[2]


def test_held_out_targets() -> None:
    report = evaluate(
        Classifier.from_path(ROOT / "rules.yaml"), load_examples(ROOT / "tests/data/classify_test.jsonl")
    )
    assert report.total >= 150
    assert report.macro_f1 >= 0.88
    assert report.false_ticket_rate <= 0.03
    assert report.missed_report_rate <= 0.11
    assert report.subtype_accuracy >= 0.85
    assert report.urgent_recall >= 0.85 and report.urgent_precision >= 0.7
