"""Builders for registry rows and API tokens, written through the same services the app uses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.api.deps import create_token
from bot.db import Database
from bot.services import roster
from models.auth import TokenRole

GROUPS_HEADER = "group_id,name,channel,community,grid,building,leader_id,grid_member_id,robot_key,tags\n"
PEOPLE_HEADER = "person_id,name,role,grid,team,phone,group_id,accounts,on_duty\n"


async def make_registry(
    db: Database, *, groups: int = 3, channel: str = "bridge", grids: int = 1
) -> dict[str, Any]:
    """A small community: ``groups`` groups over ``grids`` grids, a leader per group, a grid member per grid,
    a grid leader, an admin, the five teams with a lead each."""
    g_lines, p_lines = [GROUPS_HEADER], [PEOPLE_HEADER]
    for i in range(groups):
        grid = f"网格{i % grids + 1}"
        g_lines.append(f"g{i}@chatroom,{i + 1}栋楼栋群,{channel},平安路社区,{grid},{i + 1}栋,leader{i},,,\n")
        p_lines.append(
            f"leader{i},楼栋长{i},building_leader,{grid},,13800000000,g{i}@chatroom,wecom:leader{i},\n"
        )
    for n in range(grids):
        p_lines.append(f"gm{n + 1},网格员{n + 1},grid_member,网格{n + 1},,,,wecom:gm{n + 1},\n")
    p_lines.append("gl1,网格长,grid_leader,网格1,,,,wecom:gl1,1\n")
    p_lines.append("admin1,社区管理员,admin,,,,,wecom:admin1,\n")
    for code in roster.TEAMS:
        p_lines.append(f"lead-{code},{code}队长,volunteer,,{code},,,wecom:lead-{code},\n")
    parsed = roster.parse(
        [("groups.csv", "".join(g_lines).encode()), ("people.csv", "".join(p_lines).encode())]
    )
    async with db.unit_of_work() as session:
        report = await roster.apply(session=session, roster=parsed)
    return {"groups": [f"g{i}@chatroom" for i in range(groups)], "report": report}


async def make_token(db: Database, role: TokenRole = TokenRole.ADMIN, grid_id: int | None = None) -> str:
    async with db.unit_of_work() as session:
        return await create_token(session=session, role=role, name=f"test-{role.value}", grid_id=grid_id)


async def eventually(
    check: Callable[[], Awaitable[bool]],
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 (a test polling helper: the deadline is the point)
    interval: float = 0.05,
) -> None:
    """Wait until ``check()`` is true (background workers are asynchronous), or fail."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if await check():
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def settle_ingest(app: Any) -> None:
    """Move what the webhooks spooled into the inbox table now (SQLite spool, bot/spool.py).

    Tests that read the ``inbox`` table right after a webhook call this first; in the service the
    spool mover does it within milliseconds.
    """
    ingest = getattr(app.state, "ingest", None)
    if ingest is not None and ingest.mover is not None:
        await ingest.mover.drain()
