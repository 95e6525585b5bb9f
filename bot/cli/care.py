"""``weigrid care import|stats``: care households and pairings (儿女团), straight to the database."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bot.db import Database
from bot.settings import Settings, get_settings

care_app = typer.Typer(
    help="Care schedules: households, volunteer pairings, statistics.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)


@care_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV: household_id,name,kind,group_id,birth_date,address,volunteer_id")
    ],
) -> None:
    """Import households and their volunteer pairings (upsert, all-or-nothing; errors as file:line)."""
    if not file.is_file():
        err.print(f"[red]{file}: no such file[/]")
        sys.exit(2)
    sys.exit(asyncio.run(_import(get_settings(), file.name, file.read_bytes())))


async def _import(settings: Settings, name: str, data: bytes) -> int:
    from bot.services.care import CareError
    from bot.services.care_roster import import_households

    db = Database(settings.database.url)
    try:
        async with db.unit_of_work() as session:
            result = await import_households(session=session, name=name, data=data)
        out.print(
            f"{result['rows']} rows: {result['households_added']} households and {result['pairings_added']} pairings added"
        )
        return 0
    except CareError as exc:
        err.print(f"[red]refused, nothing imported:[/]\n{exc.reply}")
        return 1
    finally:
        await db.dispose()


@care_app.command("stats")
def stats() -> None:
    """Care work per household, team, month and kind (JSON)."""
    asyncio.run(_stats(get_settings()))


async def _stats(settings: Settings) -> None:
    from bot.services.care import stats as care_stats

    db = Database(settings.database.url)
    try:
        async with db.session() as session:
            out.print_json(data=await care_stats(session=session, settings=settings))
    finally:
        await db.dispose()
