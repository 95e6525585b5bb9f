"""Leave-one-file-out cross-validation of the learned stages (report model and urgent stage).

For each fold file, the model is trained on every other file of ``TRAINING_FILES`` and scored on
the fold, once per setting of the decision thresholds (the thresholds do not change the weights,
so each fold trains once). Prints one line per setting: the mean over the folds of the false-ticket
rate, the missed-report rate, macro-F1, urgent recall and urgent precision, then the per-fold
figures of the best setting by "false tickets + missed reports".

This is how the thresholds in ``bot/classifier/training.py`` are chosen. It never reads a
held-out file (``HELD_OUT_FILES``): those are scored once before and once after a change.

Usage: .venv/bin/python bench/model_cv.py [--folds FILE ...] [--threshold 0.45 ...]
       [--promote 0.95 ...] [--urgent 0.5 0.7 ...] [--retarget 0.8 2 ...] [--calm 0 0.02 ...]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.classifier import Classifier, load_rules  # noqa: E402
from bot.classifier.evaluate import Report, evaluate, load_examples  # noqa: E402
from bot.classifier.training import HELD_OUT_FILES, TRAINING_FILES, Settings, labelled_files, train  # noqa: E402

# The folds the thresholds are chosen on: the files of TRAINING_FILES written in rounds 6-19 by
# helpers blind to the rules (the older ones are the rules' own tuning data, a fit).
FOLD_NAMES = frozenset(
    {
        "holdout6",
        "holdout7",
        "holdout8",
        "train_urgent",
        "train_negatives",
        "train_urgent2",
        "train_mixed",
        "train_service",
        "train_urgent3",
        "train_mixed2",
        "train_negatives2",
        "train_mixed3",
        "train_boundaries",
        "train_regions",
        "train_north",
        "train_indirect",
        "train_regions2",
        "train_boundaries2",
        "train_service2",
        "train_urgent4",
        "train_settings",
        "train_negatives3",
        "train_disputes",
        "train_regions3",
        "train_urgent5",
        "train_grouplife",
        "train_service3",
        "train_wu_plains",
        "train_threads",
        "train_notices",
        "train_urgent6",
        "train_regions4",
        "train_stories",
        "train_cantonese",
        "train_cantonese_urgent",
        "train_minnan_hakka",
        "train_southwest",
        "train_winter",
        "train_jianghuai",
        "train_negatives5",
        "train_tropics",
        "train_urgent7",
        "train_service4",
        "train_dialect_negatives",
        "train_indirect2",
        "train_staffhousing",
        "train_welfare",
        "train_wuhan",
        "train_jiaoliao",
        "train_tianjin",
    }
)
DEFAULT_FOLDS = tuple(n for n in TRAINING_FILES if Path(n).stem.removeprefix("classify_") in FOLD_NAMES)
FIGURES = ("false tickets", "missed", "macro-F1", "urgent R", "urgent P", "subtype")


def figures(report: Report) -> tuple[float, ...]:
    return (
        report.false_ticket_rate,
        report.missed_report_rate,
        report.macro_f1,
        report.urgent_recall,
        report.urgent_precision,
        report.subtype_accuracy,
    )


def _sweep(parser: argparse.ArgumentParser, flag: str, default: float, help_: str) -> None:
    """A setting swept over one or more values (default: the shipped one, from Settings)."""
    parser.add_argument(flag, nargs="+", type=float, default=[default], help=f"{help_} (default: Settings)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", nargs="+", default=list(DEFAULT_FOLDS), help="files of TRAINING_FILES")
    defaults = Settings()
    _sweep(parser, "--threshold", defaults.threshold, "report model veto threshold")
    _sweep(parser, "--promote", defaults.promote, "report model promote threshold")
    _sweep(parser, "--urgent", defaults.urgent_promote or 2.0, "urgent stage promote (above 1: no stage)")
    _sweep(parser, "--retarget", defaults.urgent_retarget or 2.0, "urgent stage retarget (above 1: never)")
    _sweep(
        parser,
        "--rechoose",
        -1.0 if defaults.rechoose is None else defaults.rechoose,
        "kind stage chooses between the rules' two best kinds within this margin (negative: never)",
    )
    _sweep(
        parser,
        "--calm",
        defaults.calm or 0.0,
        "an urgent verdict of the rules that they doubted (a damping cue in force) below this report "
        "probability becomes none (0: never)",
    )
    parser.add_argument("--no-kinds", action="store_true", help="train no kind stage")
    parser.add_argument(
        "--keep", nargs="*", default=None, help="cue groups that block a veto (default: Settings)"
    )
    parser.add_argument(
        "--hold", nargs="*", default=None, help="cue groups that block promotion (default: Settings)"
    )
    parser.add_argument("--rules", type=Path, default=ROOT / "rules.yaml")
    args = parser.parse_args()
    bad = [f for f in args.folds if f not in TRAINING_FILES or f in HELD_OUT_FILES]
    if bad:
        parser.error(f"not a training file (held-out files are never cross-validated): {', '.join(bad)}")
    rules = load_rules(args.rules, with_model=False)
    plain = Classifier(rules)
    # Train the stages; the sweep sets their thresholds.
    settings = Settings(urgent_promote=2.0, kinds=not args.no_kinds)
    if args.keep is not None:
        settings = replace(settings, keep=frozenset(args.keep))
    if args.hold is not None:
        settings = replace(settings, hold=frozenset(args.hold))
    folds = []
    for fold in args.folds:
        model = train(plain, labelled_files(ROOT / n for n in TRAINING_FILES if n != fold), settings)
        folds.append((fold, model, load_examples(ROOT / fold)))
    print(f"{len(folds)} folds: {', '.join(Path(f).stem for f, _, _ in folds)}")
    print(
        f"{'threshold':>9} {'promote':>7} {'urgent':>6} {'retarget':>8} {'rechoose':>8} {'calm':>5}  "
        + "  ".join(f"{h:>13}" for h in FIGURES)
    )
    best: tuple[float, tuple[float, ...], list[tuple[float, ...]]] | None = None
    for threshold, promote, urgent, retarget, rechoose, calm in itertools.product(
        args.threshold, args.promote, args.urgent, args.retarget, args.rechoose, args.calm
    ):
        per_fold = []
        for _fold, model, examples in folds:
            stage = model.urgent and replace(model.urgent, promote=urgent, retarget=max(retarget, urgent))
            chooser = rechoose if rechoose >= 0 and model.kinds is not None else None
            tuned = replace(
                model,
                threshold=threshold,
                promote=promote,
                urgent=stage,
                rechoose=chooser,
                calm=calm if calm > 0 else None,
            )
            per_fold.append(figures(evaluate(Classifier(replace(rules, model=tuned)), examples)))
        mean = [sum(f[i] for f in per_fold) / len(per_fold) for i in range(len(FIGURES))]
        line = f"{threshold:>9.2f} {promote:>7.2f} {urgent:>6.2f} {retarget:>8.2f} {rechoose:>8.2f} {calm:>5.2f}  "
        print(line + "  ".join(f"{v:>13.3f}" for v in mean), flush=True)
        cost = mean[0] + mean[1]
        if best is None or cost < best[0]:
            best = (cost, (threshold, promote, urgent, retarget, rechoose, calm), per_fold)
    assert best is not None
    print(
        "per fold at threshold {:g}, promote {:g}, urgent {:g}, retarget {:g}, rechoose {:g}, calm {:g}:".format(
            *best[1]
        )
    )
    for (fold, _, _), row in zip(folds, best[2], strict=True):
        print(f"  {Path(fold).stem:<24}" + "  ".join(f"{v:>13.3f}" for v in row))


if __name__ == "__main__":
    main()
