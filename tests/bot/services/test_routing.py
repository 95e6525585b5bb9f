"""The routing table: the seed's defaults, registry resolution and the fallback chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from bot.db import Database
from bot.services import registry, roster
from bot.services.routing import RoutingConfig, route
from bot.settings import Settings
from models.registry import Group, Person
from tests.conftest import make_settings
from tests.factories import make_registry


async def routed(
    db: Database,
    settings: Settings,
    group_id: str,
    category: str,
    subtype: str | None = None,
    urgent: bool = False,
):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        group = await registry.get_group(session=session, group_id=group_id)
        assert group is not None and group.building is not None
        return await route(
            session=session, settings=settings, category=category, subtype=subtype, urgent=urgent,
            group=group, grid_id=group.building.grid_id,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("category", "subtype", "urgent", "assignee", "team", "cc", "sla"),
    [
        ("service", "repair", False, "leader0", None, [], "default"),
        ("service", "sanitation", False, "leader0", None, [], "default"),
        ("service", "health", False, "lead-health", "health", ["gm1"], "default"),
        ("service", "legal", False, "lead-legal", "legal", ["gm1"], "default"),
        ("service", "assistance", False, "lead-assistance", "assistance", ["gm1"], "default"),
        ("dispute", None, False, "gm1", None, [], "default"),
        ("hazard", None, False, "gm1", None, [], "hazard"),
        ("security", None, False, "gm1", None, [], "security"),
        # urgent: grid member, with the grid leader and the on-duty person (gl1 is both) at once
        ("hazard", None, True, "gm1", None, ["gl1"], "urgent"),
        ("service", "health", True, "gm1", None, ["gl1"], "urgent"),
    ],
)
async def test_default_routing_table(
    db: Database, settings: Settings, category: str, subtype: str | None, urgent: bool,
    assignee: str, team: str | None, cc: list[str], sla: str,
) -> None:  # fmt: skip
    await make_registry(db, groups=3, grids=2)
    result = await routed(db, settings, "g0@chatroom", category, subtype, urgent)
    assert (result.assignee_id, result.assignee_team, result.cc, result.sla) == (assignee, team, cc, sla)
    assert result.fallback is False


async def test_group_grid_member_wins_over_grid_roster(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=3, grids=2)
    async with db.unit_of_work() as session:
        await session.execute(
            update(Group).where(Group.group_id == "g0@chatroom").values(grid_member_id="gm2")
        )
    assert (await routed(db, settings, "g0@chatroom", "dispute")).assignee_id == "gm2"


async def test_fallback_no_grid_member_goes_to_grid_leader_then_admins(
    db: Database, settings: Settings
) -> None:
    await make_registry(db, groups=3, grids=2)
    async with db.unit_of_work() as session:
        await session.execute(update(Person).where(Person.person_id.in_(["gm1", "gm2"])).values(active=False))
    in_grid1 = await routed(db, settings, "g0@chatroom", "dispute")  # 网格1 has a grid leader
    assert (in_grid1.assignee_id, in_grid1.kind, in_grid1.fallback) == ("gl1", "grid_leader", True)
    in_grid2 = await routed(db, settings, "g1@chatroom", "hazard")  # 网格2 has none: community admins
    assert (in_grid2.assignee_id, in_grid2.kind) == ("admin1", "admins")


async def test_building_leader_missing_falls_back_to_grid_member(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    async with db.unit_of_work() as session:
        await session.execute(update(Group).values(leader_id=None))
    result = await routed(db, settings, "g0@chatroom", "service", "repair")
    assert (result.assignee_id, result.fallback) == ("gm1", True)


async def test_nobody_registered_leaves_assignee_none(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    async with db.unit_of_work() as session:
        await session.execute(update(Person).values(active=False))
    result = await routed(db, settings, "g0@chatroom", "hazard")
    assert result.assignee_id is None


async def test_team_lead_from_the_teams_roster(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    people = b"person_id,name,role,grid,team,phone,group_id\nvol-7,Li,volunteer,,legal,,\n"
    teams = "team,name,lead_id\n法律服务,法律服务队,vol-7\n".encode()
    parsed = roster.parse([("people.csv", people), ("teams.csv", teams)])
    async with db.unit_of_work() as session:
        report = await roster.apply(session=session, roster=parsed)
    assert report.teams == 1
    assert (await routed(db, settings, "g0@chatroom", "service", "legal")).assignee_id == "vol-7"


def test_teams_csv_errors_have_file_and_line() -> None:
    with pytest.raises(roster.RosterError) as err:
        roster.parse([("teams.csv", "team,name,lead_id\n舞蹈队,x,y\n".encode())])
    assert err.value.errors[0].startswith("teams.csv:2:")


async def test_rules_from_config(db: Database, db_url: str, tmp_path: Path) -> None:
    custom = make_settings(
        db_url,
        tmp_path / "d",
        routing={
            "rules": [{"category": "hazard", "assignee": "grid_leader", "cc": ["admins"], "sla": "hazard"}]
        },
    )
    await make_registry(db, groups=1)
    result = await routed(db, custom, "g0@chatroom", "hazard")
    assert (result.assignee_id, result.cc) == ("gl1", ["admin1"])
    other = await routed(db, custom, "g0@chatroom", "dispute")  # no rule matches: the grid member
    assert other.assignee_id == "gm1"


def test_unknown_kind_refused() -> None:
    with pytest.raises(ValidationError):
        RoutingConfig.model_validate({"rules": [{"assignee": "the_mayor"}]})
    with pytest.raises(ValidationError):
        RoutingConfig.model_validate({"rules": [{"assignee": "grid_member", "cc": ["nobody"]}]})
