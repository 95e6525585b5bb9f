"""CLI (via CliRunner on our own sub-apps), corrections service and keyword suggestions."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import models
from bot.classifier import load_rules
from bot.classifier.suggest import Cohesion, Labelled, read_jsonl, suggest, to_yaml
from bot.cli.classify import classify_command, rules_app
from bot.services.classifier import record_correction
from models.classifier import ClassifierCorrection

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules.yaml"
TRAIN = ROOT / "tests" / "data" / "classify_train.jsonl"

app = typer.Typer()
app.command("classify")(classify_command)
app.add_typer(rules_app, name="rules")
runner = CliRunner()


def test_classify_prints_one_json_verdict_per_line() -> None:
    result = runner.invoke(app, ["classify", "--rules", str(RULES)], input="楼道里闻到很浓的煤气味\n\n收到\n")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(v["category"], v["urgent"]) for v in lines] == [("hazard", True), ("none", False)]


def test_classify_eval_json(tmp_path: Path) -> None:
    corpus = tmp_path / "tiny.jsonl"
    rows = [
        {"text": "楼道里闻到很浓的煤气味", "category": "hazard", "subtype": None, "urgent": True},
        {"text": "收到", "category": "none", "subtype": None, "urgent": False},
        {"text": "燃气灶打不着火", "category": "service", "subtype": "repair", "urgent": False},
        {"text": "谢谢楼栋长", "category": "dispute", "subtype": None, "urgent": False},  # a deliberate miss
    ]
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = runner.invoke(app, ["classify", "--rules", str(RULES), "--eval", str(corpus), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["total"] == 4
    assert report["missed_report_rate"] == round(1 / 3, 4)
    assert report["false_ticket_rate"] == 0.0
    assert report["subtype_accuracy"] == 1.0 and report["urgent_recall"] == 1.0
    assert report["confusion"]["dispute"]["none"] == 1


def test_classify_eval_tables_for_humans() -> None:
    result = runner.invoke(app, ["classify", "--rules", str(RULES), "--eval", str(TRAIN)])
    assert result.exit_code == 0
    assert "macro-F1" in result.stdout and "Confusion matrix" in result.stdout


def test_rules_check_ok_and_error_exit_code(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["rules", "check", str(RULES)])
    assert ok.exit_code == 0 and "OK" in ok.stdout
    # The summary names the learned stages and their settings, as the shipped model has them.
    summary = " ".join(ok.stdout.split())
    assert "urgent stage promote 0.5, retarget 0.9" in summary and "rechoose 1)" in summary
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        RULES.read_text(encoding="utf-8").replace("threshold: 2.0", "threshold: zero"), encoding="utf-8"
    )
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "threshold" in result.output


def test_record_correction_adds_without_committing() -> None:
    engine = create_engine("sqlite://")
    models.Base.metadata.create_all(engine)
    with Session(engine) as session:
        correction = record_correction(
            session=session,
            ticket_id=None,
            text="楼下的狗天天叫",
            old_category="none",
            old_subtype=None,
            category="dispute",
            subtype=None,
            urgent=False,
            actor_id="grid-7",
        )
        assert correction in session.new
        session.rollback()  # the caller owns the transaction: nothing was committed
        assert session.scalars(select(ClassifierCorrection)).all() == []
        record_correction(
            session=session,
            ticket_id=None,
            text="帮我修一下水龙头",
            old_category="none",
            old_subtype=None,
            category="service",
            subtype="repair",
            urgent=False,
            actor_id="admin",
        )
        session.commit()
        stored = session.scalars(select(ClassifierCorrection)).one()
        assert (stored.category, stored.subtype, stored.created_at.tzinfo is not None) == (
            "service",
            "repair",
            True,
        )


def test_record_correction_rejects_subtype_mismatch() -> None:
    with Session(create_engine("sqlite://")) as session:
        try:
            record_correction(
                session=session,
                ticket_id=1,
                text="x",
                old_category="none",
                old_subtype=None,
                category="dispute",
                subtype="legal",
                urgent=False,
                actor_id="a",
            )
        except ValueError as exc:
            assert "subtype" in str(exc)
        else:
            raise AssertionError("expected ValueError")


def test_suggest_finds_terms_frequent_in_corrections_and_rare_elsewhere(tmp_path: Path) -> None:
    corrections = [
        Labelled("楼下棋牌室麻将声到半夜", "dispute", None),
        Labelled("隔壁棋牌室麻将声太大了", "dispute", None),
        Labelled("那个棋牌室麻将声一直响", "dispute", None),
    ]
    found = suggest(corrections, read_jsonl(TRAIN), load_rules(RULES))
    terms = [s.term for s in found]
    assert any("棋牌" in t for t in terms) and any("麻将" in t for t in terms)
    assert "半夜" not in terms  # already a rule term
    snippet = to_yaml(found)
    assert snippet.startswith("# dispute") and f"  {terms[0]}: " in snippet
    export = tmp_path / "corrections.jsonl"
    export.write_text(
        "\n".join(json.dumps({"text": c.text, "category": c.category, "subtype": None}) for c in corrections),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "suggest", "--from", str(export), "--rules", str(RULES)])
    assert result.exit_code == 0 and "麻将" in result.stdout


def test_suggest_proposes_word_like_grams_not_ones_across_word_boundaries() -> None:
    corrections = [
        Labelled("楼下棋牌室麻将声到半夜", "dispute", None),
        Labelled("隔壁棋牌室麻将声太大了", "dispute", None),
        Labelled("那个棋牌室麻将声一直响", "dispute", None),
    ]
    terms = [s.term for s in suggest(corrections, read_jsonl(TRAIN), load_rules(RULES))]
    assert "棋牌" in terms
    # Every 2-4-gram across the 室|麻 boundary is as frequent as the words, but not word-like.
    for crossing in ("室麻", "室麻将", "牌室麻将", "棋牌室麻", "室麻将声"):
        assert crossing not in terms
    cohesion = Cohesion(row.text for row in [*corrections, *read_jsonl(TRAIN)])
    texts = [c.text for c in corrections]
    assert cohesion.word_like("棋牌", texts)[0]
    assert not cohesion.word_like("室麻", texts)[0]
    assert cohesion.link("棋", "牌") > cohesion.link("室", "麻")
