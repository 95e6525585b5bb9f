"""The weigrid CLI: tokens, roster import, db upgrade, help everywhere."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from bot.cli import app
from bot.db import sync_url

runner = CliRunner()


def test_help_everywhere() -> None:
    for args in (
        ["--help"],
        ["serve", "--help"],
        ["demo", "--help"],
        ["simulate", "--help"],
        ["roster", "import", "--help"],
        ["token", "create", "--help"],
        ["db", "upgrade", "--help"],
        ["classify", "--help"],
        ["rules", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_token_create_prints_only_the_token_last_and_stores_its_hash(cli_env: str) -> None:
    result = runner.invoke(app, ["token", "create", "--role", "admin", "--name", "ops"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("wg_") and len(token) > 30
    engine = create_engine(sync_url(cli_env))
    with engine.connect() as conn:
        stored = conn.execute(text("select token_hash, role from api_tokens")).all()
    engine.dispose()
    assert len(stored) == 1 and stored[0][1] == "admin" and token not in stored[0][0]
    bad = runner.invoke(app, ["token", "create", "--role", "root"])
    assert bad.exit_code != 0 and "role must be one of" in bad.output


def test_roster_import_reports_file_and_line_and_writes_nothing(cli_env: str, tmp_path: Path) -> None:
    good = tmp_path / "groups.csv"
    good.write_text(
        "group_id,name,channel,community,grid,building,leader_id,grid_member_id,robot_key\n"
        "r1,1栋群,bridge,平安路社区,网格1,1栋,,,\n",
        encoding="utf-8",
    )
    bad = tmp_path / "people.csv"
    bad.write_text(
        "person_id,name,role,grid,team,phone,group_id\np1,张三,wizard,网格1,,,\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["roster", "import", str(good), str(bad)])
    assert result.exit_code == 1
    assert "people.csv:2: role 'wizard'" in result.output.replace("\n", "")
    ok = runner.invoke(app, ["roster", "import", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "imported 1 groups" in ok.output


def test_db_upgrade_is_idempotent(cli_env: str) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
