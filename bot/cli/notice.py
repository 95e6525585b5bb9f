"""``weigrid notice send|schedule|list|status``.

These commands talk to the database directly (the same settings as ``weigrid serve``: config.yaml and
``WEIGRID_*``), through the notice service; the running server's outbox worker delivers the rows.
``--wait`` follows the delivery with a progress bar until every group is settled.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.db import Database
from bot.settings import Settings, get_settings

notice_app = typer.Typer(help="Notices to building groups (通知公告).", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def _target(
    all_: bool, group: list[str], grid: list[str], building: list[str], community: list[str], tag: list[str]
) -> dict[str, object]:
    return {
        "all": all_,
        "groups": group,
        "grids": grid,
        "buildings": building,
        "communities": community,
        "tags": tag,
    }


async def _send(
    settings: Settings, data: dict[str, object], author: str, wait: bool, max_wait_s: float
) -> int:
    from bot.services import notice as notices
    from models.notice import NoticeCreate

    db = Database(settings.database.url)
    try:
        async with db.unit_of_work() as session:
            notice = await notices.create_notice(
                session=session, settings=settings, data=NoticeCreate.model_validate(data), author_id=author
            )
            notice_id, status, total, due_at = notice.id, notice.status, notice.total, notice.due_at
        out.print(f"notice [bold]#{notice_id}[/]: {status}, {total} groups")
        if status == "scheduled" and due_at is not None:
            from models.base import to_local

            out.print(
                f"goes out at {to_local(due_at):%Y-%m-%d %H:%M} (quiet hours or --at); --urgent sends now"
            )
        if status == "pending_approval":
            out.print(f"waiting for a second admin: POST /api/notices/{notice_id}/approve")
        if wait and status == "sending":
            return await _follow(db, notice_id, max_wait_s)
        return 0
    except notices.NoticeError as exc:
        err.print(f"[red]refused[/]: {exc.message}")
        return 2
    finally:
        await db.dispose()


async def _follow(db: Database, notice_id: int, max_wait_s: float) -> int:
    """A progress bar over the notice's rows until none is pending (or ``timeout`` seconds)."""
    from bot.services import notice as notices

    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait_s
    columns = (
        TextColumn("[bold]notice #{task.fields[nid]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=out) as progress:
        task = progress.add_task("send", total=None, nid=notice_id, failed=0)
        while True:
            async with db.session() as session:
                notice = await notices.get_notice(session=session, notice_id=notice_id)
                p = await notices.progress(session=session, notice=notice)
            progress.update(task, total=p["total"], completed=p["sent"] + p["failed"], failed=p["failed"])
            if p["pending"] == 0 and p["total"]:
                break
            if loop.time() > deadline:
                err.print(
                    f"[yellow]still {p['pending']} pending after {max_wait_s:.0f}s[/] (is `weigrid serve` running?)"
                )
                return 1
            await asyncio.sleep(0.25)
    out.print(f"sent {p['sent']}/{p['total']}, failed {p['failed']}")
    return 0 if p["failed"] == 0 else 1


@notice_app.command("send")
def send(
    text: Annotated[
        str,
        typer.Argument(
            help="The notice body; may use {building} {grid_member} {group_name} {community} {grid}."
        ),
    ],
    title: Annotated[str, typer.Option(help="Title, shown as 【title】.")] = "通知",
    all_: Annotated[bool, typer.Option("--all", help="Every registered group.")] = False,
    group: Annotated[list[str] | None, typer.Option(help="A group chat id (repeatable).")] = None,
    grid: Annotated[list[str] | None, typer.Option(help="A grid name or id (repeatable).")] = None,
    building: Annotated[list[str] | None, typer.Option(help="A building name or id (repeatable).")] = None,
    community: Annotated[list[str] | None, typer.Option(help="A community name or id (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A group tag, e.g. 法治楼 (repeatable).")] = None,
    urgent: Annotated[bool, typer.Option(help="Urgent: first in line, ignores quiet hours.")] = False,
    at: Annotated[datetime | None, typer.Option(help="Send at (ISO 8601 with offset).")] = None,
    author: Annotated[str, typer.Option(help="Recorded as the author.")] = "cli",
    wait: Annotated[bool, typer.Option(help="Follow the delivery with a progress bar.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
) -> None:
    """Send a notice now (or at --at) to the chosen groups."""
    data = {
        "title": title,
        "body": text,
        "urgent": urgent,
        "send_at": at,
        "target": _target(all_, group or [], grid or [], building or [], community or [], tag or []),
    }
    sys.exit(asyncio.run(_send(get_settings(), data, author, wait, timeout)))


@notice_app.command("schedule")
def schedule(
    text: Annotated[
        str | None,
        typer.Argument(help="Body of a new recurring notice (omit to load config.yaml's schedules)."),
    ] = None,
    cron: Annotated[
        str | None, typer.Option(help="5-field cron in Asia/Shanghai, e.g. '0 9 1,16 * *'.")
    ] = None,
    title: Annotated[str, typer.Option(help="Title.")] = "通知",
    all_: Annotated[bool, typer.Option("--all", help="Every registered group.")] = False,
    tag: Annotated[list[str] | None, typer.Option(help="A group tag (repeatable).")] = None,
    grid: Annotated[list[str] | None, typer.Option(help="A grid (repeatable).")] = None,
) -> None:
    """Load config.yaml's ``schedules:`` into the database (idempotent) and list them, or add one with --cron."""
    sys.exit(
        asyncio.run(
            _schedule(get_settings(), text, cron, title, _target(all_, [], grid or [], [], [], tag or []))
        )
    )


async def _schedule(
    settings: Settings, text: str | None, cron: str | None, title: str, target: dict[str, object]
) -> int:
    from sqlalchemy import select

    from bot.services import notice as notices
    from bot.services import notice_schedule
    from models.notice import NoticeCreate, NoticeSchedule

    db = Database(settings.database.url)
    try:
        async with db.unit_of_work() as session:
            if text is not None:
                if not cron:
                    err.print("[red]--cron is required with a text[/]")
                    return 2
                notice = await notices.create_notice(
                    session=session,
                    settings=settings,
                    author_id="cli",
                    data=NoticeCreate.model_validate(
                        {"title": title, "body": text, "cron": cron, "target": target}
                    ),
                )
                out.print(f"recurring notice #{notice.id} ({notice.status})")
            else:
                changed = await notice_schedule.load_config_schedules(session=session, settings=settings)
                out.print(f"{changed} schedule(s) loaded or updated from config")
        async with db.session() as session:
            rows = (await session.scalars(select(NoticeSchedule).order_by(NoticeSchedule.id))).all()
        table = Table("id", "name", "cron", "enabled", "next run (UTC)", "runs")
        for r in rows:
            table.add_row(
                str(r.id),
                r.name,
                r.cron,
                "yes" if r.enabled else "no",
                f"{r.next_run_at:%Y-%m-%d %H:%M}" if r.next_run_at else "-",
                str(r.runs),
            )
        out.print(table)
        return 0
    except (notices.NoticeError, ValueError) as exc:
        err.print(f"[red]refused[/]: {getattr(exc, 'message', exc)}")
        return 2
    finally:
        await db.dispose()


@notice_app.command("list")
def list_(limit: Annotated[int, typer.Option(help="How many.")] = 20) -> None:
    """The latest notices with their delivery counts."""
    asyncio.run(_list(get_settings(), limit))


async def _list(settings: Settings, limit: int) -> None:
    from bot.services import notice as notices

    db = Database(settings.database.url)
    try:
        async with db.session() as session:
            rows, _ = await notices.list_notices(session=session, limit=limit)
            counts = await notices.counts(session=session, notice_ids=[n.id for n in rows])
        table = Table("id", "title", "status", "total", "sent", "failed", "pending", "created (UTC)")
        for n in rows:
            c = counts[n.id]
            table.add_row(
                str(n.id),
                n.title,
                n.status,
                str(n.total),
                str(c["sent"]),
                str(c["failed"] + c["ambiguous"]),
                str(c["pending"]),
                f"{n.created_at:%Y-%m-%d %H:%M}",
            )
        out.print(table)
    finally:
        await db.dispose()


@notice_app.command("status")
def status(
    notice_id: Annotated[int, typer.Argument(help="The notice id.")],
    wait: Annotated[bool, typer.Option(help="Follow with a progress bar.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 600.0,
) -> None:
    """A notice's status, total, sent, failed, pending."""
    sys.exit(asyncio.run(_status(get_settings(), notice_id, wait, timeout)))


async def _status(settings: Settings, notice_id: int, wait: bool, max_wait_s: float) -> int:
    from bot.services import notice as notices

    db = Database(settings.database.url)
    try:
        if wait:
            return await _follow(db, notice_id, max_wait_s)
        async with db.session() as session:
            notice = await notices.get_notice(session=session, notice_id=notice_id)
            p = await notices.progress(session=session, notice=notice)
        out.print_json(data=p)
        return 0
    except notices.NoticeError as exc:
        err.print(f"[red]{exc.message}[/]")
        return 2
    finally:
        await db.dispose()
