"""The ``weigrid`` command line (typer). Every command has ``--help``."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.cli.local import simulate_command
from bot.settings import get_settings

app = typer.Typer(help="WeiGrid (微网格): community grid governance backend.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic).", no_args_is_help=True)
roster_app = typer.Typer(help="Group and people registry.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(roster_app, name="roster")
app.add_typer(token_app, name="token")
app.command("simulate")(simulate_command)

console = Console(stderr=True, soft_wrap=True)


def setup_logging(level: str = "INFO") -> None:
    settings = get_settings()
    if settings.server.json_logs:
        from bot.logs import JsonFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    # APScheduler logs two INFO lines per tick of every interval job; keep its warnings only.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default: server.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default: server.port).")] = None,
    migrate: Annotated[bool, typer.Option(help="Run `db upgrade` before serving.")] = True,
    web_processes: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Processes serving HTTP (default: server.web_processes; Linux for > 1)."
        ),
    ] = None,
    web_only: Annotated[
        bool, typer.Option(hidden=True, help="An extra web process (started by serve).")
    ] = False,
) -> None:
    """Run the API, webhooks, console, workers and scheduler (with --web-processes N, N-1 more web processes)."""
    from bot.migrate import upgrade
    from bot.serve import run

    setup_logging()
    settings = get_settings()
    if web_processes is not None:
        settings = settings.model_copy(
            update={"server": settings.server.model_copy(update={"web_processes": web_processes})}
        )
    if migrate and not web_only:
        upgrade(settings.database.url)
    run(settings, host=host or settings.server.host, port=port or settings.server.port, web_only=web_only)


@app.command()
def worker() -> None:
    """Run the inbox and outbox workers and the scheduler without HTTP.

    Pair it with web processes started with WEIGRID_SERVER__RUN_WORKERS=false (and, if you like,
    WEIGRID_SERVER__RUN_SCHEDULER=false): the web processes then only acknowledge callbacks.
    """
    from bot.runtime import run_worker

    setup_logging()
    asyncio.run(run_worker(get_settings()))


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    groups: Annotated[int, typer.Option(help="How many building groups to seed.")] = 800,
) -> None:
    """Seed a demo community of 800 building groups, print how to try it, and serve."""
    from bot.demo import seed_demo
    from bot.migrate import upgrade

    setup_logging()
    settings = get_settings()
    upgrade(settings.database.url)
    info = asyncio.run(seed_demo(settings=settings, groups=groups))
    base = f"http://{host or settings.server.host}:{port or settings.server.port}"
    out = Console(soft_wrap=True)
    out.print(
        f"[bold green]WeiGrid demo[/]: {info.groups} building groups in {info.compounds} 小区, {info.grids} grids."
    )
    out.print(f"Console:  {base}/console   (sign in with the admin token below)")
    out.print(f"API docs: {base}/docs")
    out.print(f"Admin token: [bold]{info.admin_token}[/]")
    out.print("Try, in another shell:")
    out.print(f'  weigrid simulate "3栋楼道里有人拉飞线给电动车充电" --group {info.sample_group}')
    out.print(f'  curl -H "Authorization: Bearer {info.admin_token}" {base}/api/tickets')
    serve(host=host, port=port, migrate=False)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply Alembic migrations (the only way the schema is made)."""
    from bot.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database.url, revision)
    console.print(f"database at revision {revision}")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="admin | grid_member | viewer")],
    name: Annotated[str, typer.Option(help="Who holds it.")] = "",
    grid: Annotated[str | None, typer.Option(help="Grid name (grid members only).")] = None,
    person: Annotated[str | None, typer.Option(help="The roster person_id behind the token.")] = None,
) -> None:
    """Create an API token. The token is printed alone on the last line; only its hash is stored."""
    from bot.cli.ops import create_token_command

    token = asyncio.run(create_token_command(role=role, name=name, grid=grid, person=person))
    print(token)


@roster_app.command("import")
def roster_import(
    files: Annotated[
        list[Path], typer.Argument(help="CSV (UTF-8/BOM/GBK) or .xlsx files: groups and/or people.")
    ],
) -> None:
    """Import groups and people (upsert, all-or-nothing). Errors are listed as file:line."""
    from bot.cli.ops import roster_import_command

    sys.exit(asyncio.run(roster_import_command(files)))


def _register_optional() -> None:
    """Domain command groups that live in their own modules."""
    from bot.cli.classify import classify_command, rules_app

    app.command("classify")(classify_command)
    app.add_typer(rules_app, name="rules")
    from bot.cli.care import care_app
    from bot.cli.notice import notice_app

    app.add_typer(notice_app, name="notice")
    app.add_typer(care_app, name="care")


_register_optional()


def main() -> None:
    app()
