"""Implementations of the operational commands (tokens, roster import)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from bot.api.deps import create_token
from bot.db import Database
from bot.services import roster
from bot.settings import get_settings
from models.auth import TokenRole
from models.registry import Grid

console = Console(stderr=True, soft_wrap=True)


async def create_token_command(*, role: str, name: str, grid: str | None, person: str | None) -> str:
    try:
        token_role = TokenRole(role)
    except ValueError:
        raise typer.BadParameter(f"role must be one of {', '.join(r.value for r in TokenRole)}") from None
    settings = get_settings()
    db = Database(settings.database.url)
    try:
        async with db.unit_of_work() as session:
            grid_id = None
            if grid is not None:
                grid_id = await session.scalar(select(Grid.id).where(Grid.name == grid))
                if grid_id is None:
                    raise typer.BadParameter(f"no grid named {grid!r}")
            elif token_role is TokenRole.GRID_MEMBER:
                raise typer.BadParameter("a grid_member token needs --grid")
            return await create_token(
                session=session, role=token_role, name=name or role, grid_id=grid_id, person_id=person
            )
    finally:
        await db.dispose()


async def roster_import_command(files: list[Path]) -> int:
    """Returns the process exit code: 0 imported, 1 refused."""
    try:
        parsed = roster.parse(roster.read_paths(files))
    except roster.RosterError as exc:
        for line in exc.errors:
            console.print(f"[red]{line}[/]")
        console.print(f"[bold red]import refused: {len(exc.errors)} error(s); nothing was written[/]")
        return 1
    settings = get_settings()
    db = Database(settings.database.url)
    total = len(parsed.groups) + len(parsed.people)
    try:
        with Progress(console=console, disable=total < 200) as progress:
            task = progress.add_task("importing", total=total)
            async with db.unit_of_work() as session:
                report = await roster.apply(
                    session=session, roster=parsed, progress=lambda n: progress.advance(task, n)
                )
    except roster.RosterError as exc:
        for line in exc.errors:
            console.print(f"[red]{line}[/]")
        console.print(f"[bold red]import refused: {len(exc.errors)} error(s); nothing was written[/]")
        return 1
    finally:
        await db.dispose()
    console.print(
        f"imported {report.groups} groups and {report.people} people "
        f"({report.created} new, {report.updated} updated; {report.released} held messages released)"
    )
    return 0
