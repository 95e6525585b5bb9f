"""Notice targets and templates: which registered groups a target selects, and per-group fields."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.notice import NoticeTarget
from models.registry import Building, Community, Grid, Group, Person, Role

FIELDS = ("building", "grid_member", "group_name", "community", "grid")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class NoticeError(Exception):
    """A refused notice operation; ``status`` is the HTTP status the API answers with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def check_template(body: str) -> None:
    """Refuse ``{field}`` placeholders other than :data:`FIELDS` (422 ``unknown_field``)."""
    unknown = sorted({m for m in _PLACEHOLDER.findall(body) if m not in FIELDS})
    if unknown:
        raise NoticeError(
            422, "unknown_field", f"unknown template field(s) {', '.join(unknown)}; use {', '.join(FIELDS)}"
        )


def render(body: str, fields: dict[str, str]) -> str:
    """Fill the per-group fields; other braces are left as written."""
    return _PLACEHOLDER.sub(lambda m: fields.get(m.group(1), m.group(0)), body)


def notice_text(title: str, body: str) -> str:
    """The text a group sees: ``【title】`` then the body."""
    return f"【{title}】\n{body}" if title else body


# -- targets --------------------------------------------------------------------------------------
async def resolve_groups(*, session: AsyncSession, target: NoticeTarget) -> list[dict[str, Any]]:
    """The registered groups a target selects, with the fields templates may use."""
    query = (
        select(Group, Building.name, Grid.id, Grid.name, Community.name)
        .outerjoin(Building, Group.building_id == Building.id)
        .outerjoin(Grid, Building.grid_id == Grid.id)
        .outerjoin(Community, Grid.community_id == Community.id)
        .where(Group.registered.is_(True))
        .order_by(Group.group_id)
    )
    rows = (await session.execute(query)).all()
    members = {
        p.grid_id: p
        for p in (
            await session.scalars(
                select(Person).where(Person.role == Role.GRID_MEMBER.value).order_by(Person.person_id.desc())
            )
        )
    }
    names = {p.person_id: p.name for p in members.values()}
    if any(g.grid_member_id and g.grid_member_id not in names for g, *_ in rows):
        ids = {g.grid_member_id for g, *_ in rows if g.grid_member_id}
        names.update(
            {
                p.person_id: p.name
                for p in await session.scalars(select(Person).where(Person.person_id.in_(ids)))
            }
        )
    tags, groups = set(target.tags), set(target.groups)

    def matches(
        group: Group, building: str | None, grid_id: int | None, grid: str | None, community: str | None
    ) -> bool:
        if target.all or group.group_id in groups or tags.intersection(group.tags or []):
            return True
        for values, ident, name in (
            (target.communities, None, community),
            (target.grids, grid_id, grid),
            (target.buildings, group.building_id, building),
        ):
            if values and any((isinstance(v, int) and v == ident) or str(v) == name for v in values):
                return True
        return False

    out = []
    for group, building, grid_id, grid, community in rows:
        if not matches(group, building, grid_id, grid, community):
            continue
        member = names.get(group.grid_member_id or "") or (
            members[grid_id].name if grid_id in members else ""
        )
        out.append(
            {
                "group": group,
                "fields": {
                    "building": building or "",
                    "grid_member": member,
                    "group_name": group.name,
                    "community": community or "",
                    "grid": grid or "",
                },
            }
        )
    return out
