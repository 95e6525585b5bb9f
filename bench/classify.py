"""Classifier throughput on one core: classify the labelled corpora repeatedly for a few seconds.

Prints two figures: wall-clock messages per second, and messages per CPU-second of this
process (``time.process_time``). On a shared or busy machine the wall-clock figure drops
with the load; the CPU-time figure is what one core can do. Target: >= 20,000 msg/s.

A third line times a plain Python loop (10 million integer additions in a function) on the same
core, so that figures from different machines, or from one machine at different times, can be
compared: the classifier's speed moves with it (docs/classification.md, "Speed").

Usage: .venv/bin/python bench/classify.py [--seconds 3] [--rules rules.yaml]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.classifier import Classifier  # noqa: E402
from bot.classifier.training import TRAINING_FILES, labelled_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rules", type=Path, default=ROOT / "rules.yaml")
    args = parser.parse_args()
    # The tuning corpora, listed (a new held-out file must not be read before it is scored).
    texts = labelled_texts(TRAINING_FILES)
    classifier = Classifier.from_path(args.rules)
    classify = classifier.classify
    for text in texts:  # warm-up
        classify(text)
    done = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    deadline = start + args.seconds
    while time.perf_counter() < deadline:
        for text in texts:
            classify(text)
        done += len(texts)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(
        f"{done / elapsed:,.0f} msg/s wall, {done / cpu:,.0f} msg/s per CPU-second "
        f"({done} messages in {elapsed:.2f} s, corpus of {len(texts)})"
    )

    print(f"machine reference: a Python loop of 10,000,000 additions takes {_reference_loop():.2f} CPU-s")


def _reference_loop() -> float:
    """CPU-seconds for a plain Python loop: the machine's speed, to compare figures across machines."""
    cpu_start = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - cpu_start


if __name__ == "__main__":
    main()
