"""`weigrid rules train` learns from the corrections grid members stored in the database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.db import sync_url
from models.classifier import ClassifierCorrection

runner = CliRunner()

CORPUS = [
    ("3栋楼道里有人拉飞线给电动车充电", "hazard"),
    ("楼上漏水把我家天花板泡了", "dispute"),
    ("5单元门口的垃圾好几天没人清理了", "service"),
    ("收到", "none"),
    ("谢谢楼栋长", "none"),
    ("大家早上好", "none"),
]


def train(tmp_path: Path, *extra: str) -> tuple[str, dict[str, float]]:
    data = tmp_path / "tiny.jsonl"
    data.write_text(
        "".join(
            json.dumps({"text": t, "category": c, "subtype": None, "urgent": False}, ensure_ascii=False)
            + "\n"
            for t, c in CORPUS
        ),
        encoding="utf-8",
    )
    out = tmp_path / "model.json"
    result = runner.invoke(app, ["rules", "train", "--out", str(out), "--data", str(data), *extra])
    assert result.exit_code == 0, result.output
    return result.output, json.loads(out.read_text(encoding="utf-8"))["weights"]


def test_train_reads_corrections_from_the_database(cli_env: str, tmp_path: Path) -> None:
    alone_output, alone = train(tmp_path, "--no-corrections")
    assert "(0 corrections, 1 files)" in alone_output
    engine = create_engine(sync_url(cli_env))
    with Session(engine) as session:
        for text in ("垃圾桶旁边的鼠患越来越严重", "地下室鼠患 晚上老鼠乱窜"):  # 鼠患: in no corpus text
            session.add(
                ClassifierCorrection(
                    text=text,
                    old_category="none",
                    old_subtype=None,
                    category="service",
                    subtype="sanitation",
                    actor_id="gm1",
                )
            )
        session.commit()
    engine.dispose()
    output, weights = train(tmp_path)
    assert "(2 corrections, 1 files)" in output
    assert (
        "鼠患" not in alone and weights.get("鼠患", 0) > 0
    )  # the corrections' bigram pulls towards a report


def test_bad_corrections_files_are_refused_with_a_message(tmp_path: Path) -> None:
    data = tmp_path / "tiny.jsonl"
    data.write_text(
        json.dumps({"text": "收到", "category": "none", "subtype": None, "urgent": False}) + "\n",
        encoding="utf-8",
    )
    for bad in (
        {"text": 123, "category": "none", "subtype": None},
        {"text": "3栋着火了", "category": "hazard", "subtype": None, "urgent": "false"},
        {"text": "楼上吵", "category": "quarrel", "subtype": None},
    ):
        corrections = tmp_path / "corrections.jsonl"
        corrections.write_text(json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
        out = tmp_path / "model.json"
        trained = runner.invoke(
            app, ["rules", "train", "--out", str(out), "--data", str(data), "--from", str(corrections)]
        )
        assert trained.exit_code == 1, (bad, trained.output)
        assert "cannot use the corrections" in trained.output
        assert not out.exists()
        suggested = runner.invoke(app, ["rules", "suggest", "--from", str(corrections)])
        if not isinstance(bad["text"], str):  # suggest reads only texts and labels, as plain strings
            assert suggested.exit_code == 1, (bad, suggested.output)
            assert "cannot read the corrections" in suggested.output
