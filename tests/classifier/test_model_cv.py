"""bench/model_cv.py: the leave-one-file-out tool the model's thresholds are chosen with."""

from __future__ import annotations

import subprocess
import sys

from bot.classifier.training import ROOT

SCRIPT = ROOT / "bench" / "model_cv.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_one_fold_prints_a_line_per_setting_and_the_best_per_fold() -> None:
    done = _run(
        "--folds",
        "tests/data/classify_holdout6.jsonl",
        "--no-kinds",
        "--urgent",
        "2",
        "0.7",
        "--promote",
        "0.75",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "1 folds: classify_holdout6"
    rows = [line.split() for line in lines[2:4]]
    assert [row[:4] for row in rows] == [["0.30", "0.75", "2.00", "0.90"], ["0.30", "0.75", "0.70", "0.90"]]
    figures = [[float(v) for v in row[4:]] for row in rows]
    assert all(0.0 <= v <= 1.0 for row in figures for v in row)
    assert figures[1][3] >= figures[0][3]  # the urgent stage only ever adds pages: recall cannot drop
    assert lines[4].startswith("per fold at threshold 0.3,") and "classify_holdout6" in lines[5]


def test_a_held_out_file_is_refused() -> None:
    done = _run("--folds", "tests/data/classify_holdout10.jsonl")
    assert done.returncode == 2
    assert "held-out files are never cross-validated" in done.stderr
