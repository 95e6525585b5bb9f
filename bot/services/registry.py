"""Registry look-ups: groups by chat id, people by channel account, and who covers a grid."""

from __future__ import annotations

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, joinedload

from bot.services.dialect import insert_ignore
from models.registry import Building, Grid, Group, Person, PersonAccount, Role


async def get_group(*, session: AsyncSession, group_id: str) -> Group | None:
    """A group with its building and grid loaded, or None."""
    # One round trip: this runs for every inbound message.
    return await session.scalar(
        select(Group)
        .where(Group.group_id == group_id)
        .options(joinedload(Group.building).joinedload(Building.grid).joinedload(Grid.community))
    )


async def note_unknown_group(*, session: AsyncSession, group_id: str, name: str | None, channel: str) -> None:
    """Record a group that is not in the registry, so admins can adopt it. Idempotent."""
    await session.execute(
        insert_ignore(session, Group.__table__).values(
            group_id=group_id, name=name or "", channel=channel, registered=False, tags=[]
        )
    )


async def person_for(*, session: AsyncSession, channel: str, user_id: str) -> Person | None:
    """The registered person behind a platform user id: a channel account first, then the roster id.

    One round trip (this runs for every inbound message, and most senders are residents who are in
    neither list): both indexed look-ups in one ``UNION ALL``, the account ranked first.
    """
    by_account = (
        select(Person, literal(0).label("rank"))
        .join(PersonAccount, PersonAccount.person_id == Person.person_id)
        .where(PersonAccount.channel == channel, PersonAccount.user_id == user_id)
    )
    by_roster_id = select(Person, literal(1).label("rank")).where(Person.person_id == user_id)
    found = union_all(by_account, by_roster_id).subquery()
    return await session.scalar(select(aliased(Person, found)).order_by(found.c.rank).limit(1))


async def people_with_role(*, session: AsyncSession, role: Role, grid_id: int | None = None) -> list[Person]:
    """Active people holding ``role`` (in ``grid_id`` when given), in a stable order."""
    query = select(Person).where(Person.role == role.value, Person.active.is_(True))
    if grid_id is not None:
        query = query.where(Person.grid_id == grid_id)
    return list((await session.scalars(query.order_by(Person.person_id))).all())


async def user_id_for(*, session: AsyncSession, person_id: str, channel: str) -> str:
    """The id to address a person on ``channel``: their account there, else their roster id."""
    user_id = await session.scalar(
        select(PersonAccount.user_id).where(
            PersonAccount.person_id == person_id, PersonAccount.channel == channel
        )
    )
    return user_id or person_id
