"""Roster import: groups and people from CSV (UTF-8, UTF-8 with BOM, GBK) or .xlsx.

The kind of a file is known from its header:

* groups: ``group_id,name,channel,community,grid,building,leader_id,grid_member_id,robot_key`` (+ optional ``tags``,
  ``;``-separated);
* people: ``person_id,name,role,grid,team,phone,group_id`` (+ optional ``accounts`` as ``channel:user_id;...``,
  and ``on_duty``);
* teams: ``team,name,lead_id`` (the team's code or Chinese name, its display name, its lead's person_id);
  members come from the people file's ``team`` column.

An import is all-or-nothing: every file is parsed and checked first, errors are reported as
``file:line: message``, and nothing is written unless there are none. Rows are upserts, so importing
the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import inbox
from models.registry import Building, Channel, Community, Grid, Group, Person, PersonAccount, Role, Team

GROUP_COLUMNS = (
    "group_id",
    "name",
    "channel",
    "community",
    "grid",
    "building",
    "leader_id",
    "grid_member_id",
    "robot_key",
)
PEOPLE_COLUMNS = ("person_id", "name", "role", "grid", "team", "phone", "group_id")
TEAM_COLUMNS = ("team", "name", "lead_id")

#: The five volunteer teams of the seed (组团式服务), by code.
TEAMS = {
    "sanitation": "环境卫生",
    "health": "医疗保健",
    "legal": "法律服务",
    "repair": "家庭维修",
    "assistance": "帮扶救助",
}
_TEAM_BY_NAME = {name: code for code, name in TEAMS.items()}


class RosterError(Exception):
    """The import was refused; ``errors`` lists ``file:line: message`` for each problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class GroupRow:
    line: str
    group_id: str
    name: str
    channel: str
    community: str
    grid: str
    building: str
    leader_id: str | None
    grid_member_id: str | None
    robot_key: str | None
    tags: list[str]


@dataclass
class PersonRow:
    line: str
    person_id: str
    name: str
    role: str
    grid: str | None
    team: str | None
    phone: str | None
    group_id: str | None
    accounts: list[tuple[str, str]]
    on_duty: bool


@dataclass
class TeamRow:
    line: str
    code: str
    name: str
    lead_id: str | None


@dataclass
class Roster:
    groups: list[GroupRow] = field(default_factory=list)
    people: list[PersonRow] = field(default_factory=list)
    teams: list[TeamRow] = field(default_factory=list)


@dataclass
class ImportReport:
    groups: int = 0
    people: int = 0
    created: int = 0
    updated: int = 0
    released: int = 0
    teams: int = 0


def decode(name: str, data: bytes) -> str:
    """UTF-8 (with or without BOM), else GBK as Excel on Chinese Windows exports it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterError([f"{name}: not UTF-8 or GBK text"])


def _rows_from_xlsx(name: str, data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise RosterError([f"{name}: cannot read as .xlsx ({type(exc).__name__})"]) from None
    sheet = book.worksheets[0]
    return [["" if c is None else str(c).strip() for c in row] for row in sheet.iter_rows(values_only=True)]


def read_table(name: str, data: bytes) -> list[list[str]]:
    """All rows of a CSV or .xlsx file, header first."""
    if name.lower().endswith(".xlsx"):
        return _rows_from_xlsx(name, data)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(decode(name, data)))]


def parse(sources: Iterable[tuple[str, bytes]]) -> Roster:
    """Parse and check every source; raise RosterError with every problem found."""
    roster = Roster()
    errors: list[str] = []
    for name, data in sources:
        try:
            table = read_table(name, data)
        except RosterError as exc:
            errors.extend(exc.errors)
            continue
        if not table:
            errors.append(f"{name}:1: empty file")
            continue
        header = [h.strip().lower() for h in table[0]]
        if all(c in header for c in GROUP_COLUMNS):
            _parse_groups(name, header, table[1:], roster, errors)
        elif all(c in header for c in PEOPLE_COLUMNS):
            _parse_people(name, header, table[1:], roster, errors)
        elif all(c in header for c in TEAM_COLUMNS):
            _parse_teams(name, header, table[1:], roster, errors)
        else:
            errors.append(
                f"{name}:1: unknown header; expected groups ({','.join(GROUP_COLUMNS)}) "
                f"or people ({','.join(PEOPLE_COLUMNS)}) or teams ({','.join(TEAM_COLUMNS)})"
            )
    _cross_check(roster, errors)
    if errors:
        raise RosterError(errors)
    return roster


def _cells(header: list[str], row: list[str]) -> dict[str, str]:
    return {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)}


def _parse_groups(
    name: str, header: list[str], rows: list[list[str]], roster: Roster, errors: list[str]
) -> None:
    channels = {c.value for c in Channel}
    for i, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        c = _cells(header, raw)
        where = f"{name}:{i}"
        problems = [
            f"{where}: {col} is required"
            for col in ("group_id", "community", "grid", "building")
            if not c[col]
        ]
        channel = c["channel"] or Channel.BRIDGE.value
        if channel not in channels:
            problems.append(f"{where}: channel {channel!r} is not one of {', '.join(sorted(channels))}")
        if len(c["group_id"]) > 128:
            problems.append(f"{where}: group_id is longer than 128 characters")
        errors.extend(problems)
        if problems:
            continue
        roster.groups.append(
            GroupRow(
                line=where,
                group_id=c["group_id"],
                name=c["name"],
                channel=channel,
                community=c["community"],
                grid=c["grid"],
                building=c["building"],
                leader_id=c["leader_id"] or None,
                grid_member_id=c["grid_member_id"] or None,
                robot_key=c["robot_key"] or None,
                tags=[t.strip() for t in c.get("tags", "").replace("，", ";").split(";") if t.strip()],
            )
        )


def _parse_people(
    name: str, header: list[str], rows: list[list[str]], roster: Roster, errors: list[str]
) -> None:
    roles = {r.value for r in Role}
    for i, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        c = _cells(header, raw)
        where = f"{name}:{i}"
        problems = []
        if not c["person_id"]:
            problems.append(f"{where}: person_id is required")
        role = c["role"] or Role.RESIDENT.value
        if role not in roles:
            problems.append(f"{where}: role {role!r} is not one of {', '.join(sorted(roles))}")
        team = c["team"] or None
        if team is not None:
            team = _TEAM_BY_NAME.get(team, team)
            if team not in TEAMS:
                problems.append(
                    f"{where}: team {c['team']!r} is not one of {', '.join(TEAMS)} (or their Chinese names)"
                )
        if role == Role.VOLUNTEER.value and team is None:
            problems.append(f"{where}: a volunteer needs a team")
        accounts: list[tuple[str, str]] = []
        for part in c.get("accounts", "").split(";"):
            if not part.strip():
                continue
            channel, _, user_id = part.strip().partition(":")
            if channel not in {ch.value for ch in Channel} or not user_id:
                problems.append(f"{where}: account {part!r} is not channel:user_id")
            else:
                accounts.append((channel, user_id))
        errors.extend(problems)
        if problems:
            continue
        roster.people.append(
            PersonRow(
                line=where,
                person_id=c["person_id"],
                name=c["name"],
                role=role,
                grid=c["grid"] or None,
                team=team,
                phone=c["phone"] or None,
                group_id=c["group_id"] or None,
                accounts=accounts,
                on_duty=c.get("on_duty", "").lower() in ("1", "true", "yes", "是", "y"),
            )
        )


def _parse_teams(
    name: str, header: list[str], rows: list[list[str]], roster: Roster, errors: list[str]
) -> None:
    for i, raw in enumerate(rows, start=2):
        if not any(raw):
            continue
        c = _cells(header, raw)
        where = f"{name}:{i}"
        code = _TEAM_BY_NAME.get(c["team"], c["team"])
        if code not in TEAMS:
            errors.append(
                f"{where}: team {c['team']!r} is not one of {', '.join(TEAMS)} (or their Chinese names)"
            )
            continue
        roster.teams.append(
            TeamRow(line=where, code=code, name=c["name"] or TEAMS[code], lead_id=c["lead_id"] or None)
        )


def _cross_check(roster: Roster, errors: list[str]) -> None:
    seen: dict[str, str] = {}
    for g in roster.groups:
        if g.group_id in seen:
            errors.append(f"{g.line}: group_id {g.group_id} already given at {seen[g.group_id]}")
        seen[g.group_id] = g.line
    people: dict[str, str] = {}
    for p in roster.people:
        if p.person_id in people:
            errors.append(f"{p.line}: person_id {p.person_id} already given at {people[p.person_id]}")
        people[p.person_id] = p.line


async def apply(
    *, session: AsyncSession, roster: Roster, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Upsert a parsed roster. The caller commits (all-or-nothing). Raises RosterError on references
    that the database cannot resolve (unknown grid or group)."""
    report = ImportReport()
    await ensure_teams(session=session)
    communities = {c.name: c for c in (await session.scalars(select(Community))).all()}
    grids = {(g.community_id, g.name): g for g in (await session.scalars(select(Grid))).all()}
    buildings = {(b.grid_id, b.name): b for b in (await session.scalars(select(Building))).all()}
    groups = {g.group_id: g for g in (await session.scalars(select(Group))).all()}
    for row in roster.groups:
        community = communities.get(row.community)
        if community is None:
            community = communities[row.community] = Community(name=row.community)
            session.add(community)
            await session.flush()
        grid = grids.get((community.id, row.grid))
        if grid is None:
            grid = grids[(community.id, row.grid)] = Grid(community_id=community.id, name=row.grid)
            session.add(grid)
            await session.flush()
        building = buildings.get((grid.id, row.building))
        if building is None:
            building = buildings[(grid.id, row.building)] = Building(grid_id=grid.id, name=row.building)
            session.add(building)
            await session.flush()
        group = groups.get(row.group_id)
        if group is None:
            group = groups[row.group_id] = Group(group_id=row.group_id)
            session.add(group)
            report.created += 1
        else:
            report.updated += 1
        was_registered = group.registered if group.registered is not None else False
        group.name = row.name
        group.channel = row.channel
        group.building_id = building.id
        group.leader_id = row.leader_id
        group.grid_member_id = row.grid_member_id
        group.robot_key = row.robot_key
        group.tags = row.tags
        group.registered = True
        if not was_registered and row.group_id in groups:
            await session.flush()
            report.released += await inbox.release_held(session=session, group_id=row.group_id)
        report.groups += 1
        if progress:
            progress(1)
    await session.flush()
    errors: list[str] = []
    grids_by_name: dict[str, list[Grid]] = {}
    for g in grids.values():
        grids_by_name.setdefault(g.name, []).append(g)
        community_name = next((c.name for c in communities.values() if c.id == g.community_id), "")
        grids_by_name.setdefault(f"{community_name}/{g.name}", []).append(g)
    existing = {p.person_id: p for p in (await session.scalars(select(Person))).all()}
    for prow in roster.people:
        grid_id = None
        if prow.grid:
            found = grids_by_name.get(prow.grid, [])
            if len(found) != 1:
                why = "unknown grid" if not found else "grid name is ambiguous; write community/grid"
                errors.append(f"{prow.line}: {why} {prow.grid!r}")
                continue
            grid_id = found[0].id
        if prow.group_id and prow.group_id not in groups:
            errors.append(f"{prow.line}: unknown group_id {prow.group_id!r}")
            continue
        person = existing.get(prow.person_id)
        if person is None:
            person = existing[prow.person_id] = Person(person_id=prow.person_id)
            session.add(person)
            report.created += 1
        else:
            report.updated += 1
        person.name, person.role, person.grid_id = prow.name, prow.role, grid_id
        person.team, person.phone, person.group_id = prow.team, prow.phone, prow.group_id
        person.on_duty, person.active = prow.on_duty, True
        await session.flush()
        for channel, user_id in prow.accounts:
            account = await session.scalar(
                select(PersonAccount).where(
                    PersonAccount.channel == channel, PersonAccount.user_id == user_id
                )
            )
            if account is None:
                session.add(PersonAccount(person_id=person.person_id, channel=channel, user_id=user_id))
            else:
                account.person_id = person.person_id
        report.people += 1
        if progress:
            progress(1)
    await session.flush()
    for trow in roster.teams:
        if trow.lead_id and trow.lead_id not in existing:
            errors.append(
                f"{trow.line}: unknown lead_id {trow.lead_id!r} (import the people first or together)"
            )
            continue
        team = await session.get(Team, trow.code)
        if team is None:
            team = Team(code=trow.code)
            session.add(team)
        team.name, team.lead_id = trow.name, trow.lead_id
        report.teams += 1
    if errors:
        raise RosterError(errors)
    await session.flush()
    return report


async def ensure_teams(*, session: AsyncSession) -> None:
    """Make sure the five teams exist (names in Chinese)."""
    have = set((await session.scalars(select(Team.code))).all())
    for code, name in TEAMS.items():
        if code not in have:
            session.add(Team(code=code, name=name))


def read_paths(paths: Iterable[Path]) -> list[tuple[str, bytes]]:
    sources = []
    for path in paths:
        try:
            sources.append((str(path), path.read_bytes()))
        except OSError as exc:
            raise RosterError([f"{path}: cannot read ({exc.strerror})"]) from None
    return sources
