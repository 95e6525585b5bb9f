"""``weigrid classify`` and ``weigrid rules check|suggest|train``.

The lead registers these in ``bot/cli/__init__.py``::

    app.command("classify")(classify_command)
    app.add_typer(rules_app, name="rules")
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from bot.classifier import Classifier, RulesError, RuleSet, load_rules
from bot.classifier.evaluate import CATEGORIES, Example, Report, evaluate, load_examples
from bot.classifier.suggest import Labelled, read_jsonl, suggest, to_yaml
from bot.classifier.types import Category, Subtype

rules_app = typer.Typer(
    help="Classifier rules (rules.yaml): validate, propose keywords, train the report model.",
    no_args_is_help=True,
)
DEFAULT_TRAIN = Path("tests/data/classify_train.jsonl")


def default_rules_path() -> Path:
    """The rules file named by settings (``classifier.rules_path``)."""
    from bot.settings import get_settings

    return get_settings().classifier_rules_path()


def _load(rules: Path | None, err: Console) -> Classifier:
    try:
        return Classifier.from_path(rules or default_rules_path())
    except RulesError as exc:
        for problem in exc.problems:
            err.print(f"[red]error[/red] {problem}", markup=True, highlight=False)
        raise typer.Exit(1) from exc


def _pct(value: float) -> str:
    return f"{value:.1%}"


def print_report(report: Report, console: Console) -> None:
    """Print an evaluation report as rich tables."""
    table = Table(title=f"Per class ({report.total} messages)")
    for column in ("category", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for category, m in report.per_class.items():
        table.add_row(category.value, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support))
    console.print(table)
    summary = Table(title="Summary", show_header=False)
    summary.add_row("macro-F1 (5 categories)", f"{report.macro_f1:.3f}")
    summary.add_row("false-ticket rate (none → report)", _pct(report.false_ticket_rate))
    summary.add_row("missed-report rate (report → none)", _pct(report.missed_report_rate))
    summary.add_row("service subtype accuracy", f"{report.subtype_accuracy:.3f}")
    summary.add_row("urgent recall", f"{report.urgent_recall:.3f}")
    summary.add_row("urgent precision", f"{report.urgent_precision:.3f}")
    console.print(summary)
    confusion = Table(title="Confusion matrix (rows: true, columns: predicted)")
    confusion.add_column("true \\ pred")
    for c in CATEGORIES:
        confusion.add_column(c.value, justify="right")
    for true in CATEGORIES:
        confusion.add_row(true.value, *(str(report.confusion[true][p]) for p in CATEGORIES))
    console.print(confusion)


def classify_command(
    eval_file: Path | None = typer.Option(None, "--eval", help="Labelled JSONL to score instead of stdin."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
    rules: Path | None = typer.Option(None, "--rules", help="Rules file (default: classifier.rules_path)."),
    show_errors: bool = typer.Option(False, "--errors", help="With --eval, list misclassified messages."),
) -> None:
    """Classify messages from stdin (one per line), or score a labelled corpus with --eval."""
    out = Console(highlight=False, soft_wrap=True)
    err = Console(stderr=True, highlight=False)
    classifier = _load(rules, err)
    if eval_file is None:
        for line in sys.stdin:
            text = line.rstrip("\n")
            if text.strip():
                print(json.dumps(classifier.classify(text).to_dict(), ensure_ascii=False), flush=True)
        return
    try:
        report = evaluate(classifier, load_examples(eval_file))
    except (OSError, ValueError) as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from exc
    if json_out:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report, out)
    if show_errors:
        for example, verdict in report.errors:
            truth = f"{example.category}/{example.subtype or '-'}{'!' if example.urgent else ''}"
            got = f"{verdict.category}/{verdict.subtype or '-'}{'!' if verdict.urgent else ''}"
            out.print(f"{truth:>22} → {got:<22} {example.text}  {list(verdict.matched)}", markup=False)


def _gate_summary(rules: RuleSet) -> str:
    gate = rules.service_gate
    if gate is None:
        return ", no service gate"
    return (
        f", service gate ({len(gate.problem)} problem and {len(gate.request)} request terms, "
        f"{len(gate.patterns)} patterns, factor {gate.factor:g})"
    )


def _model_summary(rules: RuleSet) -> str:
    model = rules.model
    if model is None:
        return ", no report model"
    stages = ""
    if model.urgent is not None:
        stages += f"; urgent stage promote {model.urgent.promote:g}"
        if model.urgent.retarget is not None:
            stages += f", retarget {model.urgent.retarget:g}"
    if model.kinds is not None:
        stages += f"; kind stage ({len(model.kinds.scorers)} kinds"
        stages += f", rechoose {model.rechoose:g})" if model.rechoose is not None else ")"
    return (
        f", report model {model.source} ({len(model.weights)} weights, threshold {model.threshold:g}, "
        f"promote {model.promote:g}{f', calm {model.calm:g}' if model.calm is not None else ''}{stages})"
    )


@rules_app.command("check")
def check_command(
    path: Path | None = typer.Argument(None, help="Rules file (default: classifier.rules_path)."),
) -> None:
    """Validate a rules file; exit code 1 and one line per problem when it is invalid."""
    err = Console(stderr=True, highlight=False)
    target = path or default_rules_path()
    try:
        rules = load_rules(target)
    except RulesError as exc:
        for problem in exc.problems:
            err.print(f"[red]error[/red] {problem}", markup=True)
        err.print(f"{len(exc.problems)} problem(s) in {target}")
        raise typer.Exit(1) from exc
    Console(highlight=False).print(
        f"{target}: OK, {len(rules.keywords)} keywords, {len(rules.combos)} combos, "
        f"{len(rules.aliases)} aliases, {len(rules.modifiers)} cue groups "
        f"({sum(len(m.patterns) for m in rules.modifiers)} patterns), "
        f"{len(rules.negation_terms)} negation terms{_gate_summary(rules)}{_model_summary(rules)}",
        soft_wrap=True,
    )


async def _corrections_from_db() -> list[Example]:
    from sqlalchemy import select

    from bot.db import Database
    from bot.settings import get_settings
    from models.classifier import ClassifierCorrection

    db = Database(get_settings().database.url)
    try:
        async with db.session() as session:
            rows = (await session.execute(select(ClassifierCorrection))).scalars().all()
            return [
                Example(r.text, Category(r.category), Subtype(r.subtype) if r.subtype else None, r.urgent)
                for r in rows
            ]
    finally:
        await db.dispose()


@rules_app.command("suggest")
def suggest_command(
    from_file: Path | None = typer.Option(None, "--from", help="Corrections JSONL export (default: the DB)."),
    corpus: Path = typer.Option(
        DEFAULT_TRAIN, "--corpus", help="Training corpus for the 'rare elsewhere' test."
    ),
    rules: Path | None = typer.Option(None, "--rules", help="Rules file whose terms are skipped."),
    min_count: int = typer.Option(2, help="Minimum corrected texts containing a term."),
    max_other: float = typer.Option(0.01, help="Maximum share of other-category corpus texts containing it."),
) -> None:
    """Propose keywords per category from corrections, as YAML to review and paste."""
    err = Console(stderr=True, highlight=False)
    try:
        if from_file:
            corrections = read_jsonl(from_file)
        else:
            corrections = [
                Labelled(e.text, e.category.value, e.subtype.value if e.subtype else None)
                for e in asyncio.run(_corrections_from_db())
            ]
        train = read_jsonl(corpus) if corpus.exists() else []
    except (OSError, ValueError, KeyError) as exc:
        err.print(f"[red]error[/red] cannot read the corrections or the corpus: {exc!r}")
        raise typer.Exit(1) from exc
    if not corrections:
        err.print("no corrections yet: nothing to suggest")
        return
    ruleset = None
    try:
        ruleset = load_rules(rules or default_rules_path())
    except RulesError as exc:
        err.print(f"[yellow]warning[/yellow] rules not loaded, known terms not skipped: {exc.problems[0]}")
    found = suggest(corrections, train, ruleset, min_count=min_count, max_other=max_other)
    sys.stdout.write(to_yaml(found) or "# no term is frequent enough in corrections and rare elsewhere\n")


@rules_app.command("train")
def train_command(
    out: Path | None = typer.Option(
        None, "--out", help="Model file to write (default: the one rules.yaml names under 'model:')."
    ),
    data: list[Path] | None = typer.Option(
        None, "--data", help="Labelled JSONL to train on, repeatable (default: the tuning corpora)."
    ),
    from_file: Path | None = typer.Option(None, "--from", help="Corrections JSONL export (default: the DB)."),
    no_corrections: bool = typer.Option(False, "--no-corrections", help="Train on the corpora alone."),
    rules: Path | None = typer.Option(None, "--rules", help="Rules file (default: classifier.rules_path)."),
) -> None:
    """Train the report model (report vs none, and urgent) from labelled corpora and ticket corrections."""
    from bot.classifier.training import ROOT, TRAINING_FILES, labelled_files, train

    err = Console(stderr=True, highlight=False)
    rules_path = rules or default_rules_path()
    try:  # the rules alone: the model file may not exist yet, or be the one being replaced
        classifier = Classifier(load_rules(rules_path, with_model=False))
    except RulesError as exc:
        for problem in exc.problems:
            err.print(f"[red]error[/red] {problem}", markup=True, highlight=False)
        raise typer.Exit(1) from exc
    target = out or _model_target(rules_path)
    if target is None:
        err.print("[red]error[/red] no --out and the rules name no 'model:' file")
        raise typer.Exit(1)
    files = [str(p) for p in data] if data else [str(ROOT / name) for name in TRAINING_FILES]
    try:
        labelled = labelled_files(files)
    except (OSError, ValueError) as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from exc
    corrections: list[Example] = []
    try:
        if not no_corrections:
            corrections = load_examples(from_file) if from_file else asyncio.run(_corrections_from_db())
    except (OSError, ValueError) as exc:
        err.print(f"[red]error[/red] cannot use the corrections: {exc!r}")
        raise typer.Exit(1) from exc
    model = train(classifier, labelled + corrections)
    target.write_text(model.to_json(), encoding="utf-8")
    Console(highlight=False).print(
        f"{target}: {len(model.weights)} weights from {len(labelled) + len(corrections)} messages "
        f"({len(corrections)} corrections, {len(files)} files)",
        soft_wrap=True,
    )


def _model_target(rules_path: Path) -> Path | None:
    """The model file a rules file names (``model:``), resolved next to it; None when it names none."""
    import yaml

    try:
        top = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    name = top.get("model") if isinstance(top, dict) else None
    return rules_path.parent / name if isinstance(name, str) and name.strip() else None
