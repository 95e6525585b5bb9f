"""Roster import: encodings, .xlsx, per-line errors, all-or-nothing, idempotent upserts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.services import roster
from models.registry import Building, Grid, Group, Person, PersonAccount

GROUPS = (
    "group_id,name,channel,community,grid,building,leader_id,grid_member_id,robot_key,tags\n"
    "r1@chatroom,盛世豪庭1栋,bridge,平安路社区,第一网格,盛世豪庭1栋,p1,,,法治楼\n"
    "r2@chatroom,盛世豪庭2栋,wecom_bot,平安路社区,第一网格,盛世豪庭2栋,p2,,key-2,敬老楼;和谐楼\n"
)
PEOPLE = (
    "person_id,name,role,grid,team,phone,group_id,accounts\n"
    "p1,王楼栋长,building_leader,第一网格,,13812345678,r1@chatroom,bridge:wxid_p1\n"
    "p2,李楼栋长,building_leader,第一网格,,,r2@chatroom,\n"
    "gm,张网格员,grid_member,第一网格,,,,wecom:zhangsan\n"
    "v1,赵志愿者,volunteer,,家庭维修,,,\n"
)


async def count(db: Database, model: type) -> int:
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def run(db: Database, *sources: tuple[str, bytes]) -> roster.ImportReport:
    parsed = roster.parse(sources)
    async with db.unit_of_work() as session:
        return await roster.apply(session=session, roster=parsed)


async def test_import_is_idempotent_and_keys_groups_by_chat_id(db: Database) -> None:
    first = await run(db, ("g.csv", GROUPS.encode()), ("p.csv", PEOPLE.encode()))
    assert (first.groups, first.people) == (2, 4)
    again = await run(db, ("g.csv", GROUPS.encode()), ("p.csv", PEOPLE.encode()))
    assert again.created == 0 and again.updated == 6
    assert await count(db, Group) == 2 and await count(db, Person) == 4
    assert await count(db, Building) == 2 and await count(db, Grid) == 1
    renamed = GROUPS.replace("r1@chatroom,盛世豪庭1栋,", "r1@chatroom,改名后的群,")
    await run(db, ("g.csv", renamed.encode()))
    async with db.session() as s:
        g1 = await s.get(Group, "r1@chatroom")
        g2 = await s.get(Group, "r2@chatroom")
        volunteer = await s.get(Person, "v1")
        account = await s.scalar(select(PersonAccount).where(PersonAccount.user_id == "zhangsan"))
    assert g1 is not None and g1.name == "改名后的群" and g1.tags == ["法治楼"]
    assert (
        g2 is not None
        and g2.channel == "wecom_bot"
        and g2.robot_key == "key-2"
        and g2.tags == ["敬老楼", "和谐楼"]
    )
    assert volunteer is not None and volunteer.team == "repair"  # Chinese team name accepted
    assert account is not None and account.person_id == "gm"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
async def test_excel_encodings(db: Database, encoding: str) -> None:
    report = await run(db, ("g.csv", GROUPS.encode(encoding)))
    assert report.groups == 2
    async with db.session() as s:
        assert (await s.get(Group, "r1@chatroom")).name == "盛世豪庭1栋"  # type: ignore[union-attr]


async def test_xlsx(db: Database) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in GROUPS.strip().splitlines():
        sheet.append(line.split(","))
    buf = io.BytesIO()
    book.save(buf)
    report = await run(db, ("groups.xlsx", buf.getvalue()))
    assert report.groups == 2


def test_errors_are_reported_with_file_and_line_and_nothing_is_parsed() -> None:
    bad_people = PEOPLE + "p9,x,superhero,第一网格,,,,\n" + "v2,y,volunteer,,,,,\n" + "p1,dup,resident,,,,,\n"
    bad_groups = GROUPS + ",无id,bridge,平安路社区,第一网格,3栋,,,,\n" + "r9,x,fax,社区,网格,1栋,,,,\n"
    with pytest.raises(roster.RosterError) as info:
        roster.parse(
            [
                ("groups.csv", bad_groups.encode()),
                ("people.csv", bad_people.encode()),
                ("x.csv", b"a,b\n1,2\n"),
            ]
        )
    errors = info.value.errors
    assert "groups.csv:4: group_id is required" in errors
    assert any(e.startswith("groups.csv:5: channel 'fax'") for e in errors)
    assert any(e.startswith("people.csv:6: role 'superhero'") for e in errors)
    assert "people.csv:7: a volunteer needs a team" in errors
    assert any(e.startswith("people.csv:8: person_id p1 already given at people.csv:2") for e in errors)
    assert any(e.startswith("x.csv:1: unknown header") for e in errors)


async def test_unresolvable_reference_rolls_back_everything(db: Database) -> None:
    people = PEOPLE + "p5,孤儿,resident,不存在的网格,,,,\n"
    with pytest.raises(roster.RosterError, match=r"p\.csv:6: unknown grid"):
        await run(db, ("g.csv", GROUPS.encode()), ("p.csv", people.encode()))
    assert await count(db, Group) == 0 and await count(db, Person) == 0


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(roster.RosterError, match="cannot read"):
        roster.read_paths([tmp_path / "missing.csv"])
    with pytest.raises(roster.RosterError, match=r"cannot read as \.xlsx"):
        roster.parse([("bad.xlsx", b"not a zip")])
