"""The demo community: 800 building groups in five 小区, with grids, leaders, grid members and teams.

Seeding goes through the roster import service, exactly as an admin's CSV would, so it is idempotent.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bot.api.deps import create_token, hash_token
from bot.db import Database
from bot.services import roster
from bot.settings import Settings
from models.auth import ApiToken, TokenRole

COMPOUNDS = ("盛世豪庭", "平安花园", "金湖新村", "黎城佳苑", "荷花小区")
COMMUNITY = "平安路社区"
THEMES = ("爱心楼", "孝德楼", "文明楼", "卫生楼", "法治楼", "团结楼", "敬老楼", "科普楼", "和谐楼")
BUILDINGS_PER_GRID = 50
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)


@dataclass
class DemoInfo:
    groups: int
    compounds: int
    grids: int
    admin_token: str
    sample_group: str


def group_id(i: int) -> str:
    return f"demo{i:04d}@chatroom"


def build_csv(groups: int) -> tuple[bytes, bytes]:
    """The demo roster as (groups CSV, people CSV)."""
    g_out, p_out = io.StringIO(), io.StringIO()
    gw, pw = csv.writer(g_out), csv.writer(p_out)
    gw.writerow([*roster.GROUP_COLUMNS, "tags"])
    pw.writerow([*roster.PEOPLE_COLUMNS, "accounts", "on_duty"])
    per_compound = max(1, -(-groups // len(COMPOUNDS)))
    grids: list[str] = []
    for i in range(groups):
        compound = COMPOUNDS[min(i // per_compound, len(COMPOUNDS) - 1)]
        grid = f"第{i // BUILDINGS_PER_GRID + 1}网格"
        if grid not in grids:
            grids.append(grid)
        number = i % per_compound + 1
        building = f"{compound}{number}栋"
        leader = f"leader{i:04d}"
        tags = THEMES[i % len(THEMES)] if i % 7 == 0 else ""
        gw.writerow(
            [group_id(i), f"{building}楼栋群", "bridge", COMMUNITY, grid, building, leader, "", "", tags]
        )
        name = SURNAMES[i % len(SURNAMES)] + "楼栋长"
        pw.writerow([leader, name, "building_leader", grid, "", "", group_id(i), f"bridge:{leader}", ""])
    for n, grid in enumerate(grids):
        pw.writerow(
            [
                f"gm{n + 1:02d}",
                f"{SURNAMES[n % len(SURNAMES)]}网格员",
                "grid_member",
                grid,
                "",
                "",
                "",
                "",
                "",
            ]
        )
    for n in range(max(1, len(grids) // 4)):
        grid = grids[n * 4]
        pw.writerow(
            [
                f"gl{n + 1:02d}",
                f"{SURNAMES[n]}网格长",
                "grid_leader",
                grid,
                "",
                "",
                "",
                "",
                "1" if n == 0 else "",
            ]
        )
    pw.writerow(["admin01", "郑书记", "admin", "", "", "", "", "", "1"])
    pw.writerow(["admin02", "社区值班室", "admin", "", "", "", "", "", ""])
    for code in roster.TEAMS:
        for k in range(4):
            pw.writerow(
                [f"vol-{code}-{k + 1}", f"{code}志愿者{k + 1}", "volunteer", "", code, "", "", "", ""]
            )
    return g_out.getvalue().encode(), p_out.getvalue().encode()


async def seed_demo(*, settings: Settings, groups: int = 800) -> DemoInfo:
    """Import the demo roster (idempotent) and make sure there is an admin token to show."""
    groups_csv, people_csv = build_csv(groups)
    parsed = roster.parse([("demo-groups.csv", groups_csv), ("demo-people.csv", people_csv)])
    db = Database(settings.database.url)
    token_file = Path(settings.server.data_dir) / "demo-admin-token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        async with db.unit_of_work() as session:
            await roster.apply(session=session, roster=parsed)
            token = token_file.read_text().strip() if token_file.exists() else ""
            known = token and await session.scalar(
                select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))
            )
            if not known:
                token = await create_token(
                    session=session, role=TokenRole.ADMIN, name="demo admin", person_id="admin01"
                )
                fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(token)
    finally:
        await db.dispose()
    n_grids = len({g.grid for g in parsed.groups})
    return DemoInfo(
        groups=len(parsed.groups),
        compounds=min(len(COMPOUNDS), groups),
        grids=n_grids,
        admin_token=token,
        sample_group=group_id(0),
    )
