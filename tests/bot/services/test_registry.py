"""Registry look-ups that run for every inbound message."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.db import Database
from bot.services import registry
from bot.settings import Settings
from models.registry import Group, Person, PersonAccount
from tests.bot.services.ticket_helpers import deliver, message
from tests.factories import make_registry


async def test_person_for_prefers_the_channel_account_then_the_roster_id(db: Database) -> None:
    async with db.unit_of_work() as session:
        session.add_all(
            [
                Person(person_id="gm1", name="王网格员", role="grid_member"),
                Person(person_id="wxid_abc", name="同名的另一人", role="resident"),
                Person(person_id="lead7", name="李楼栋长", role="building_leader"),
            ]
        )
        await session.flush()
        session.add_all(
            [
                PersonAccount(person_id="gm1", channel="bridge", user_id="wxid_abc"),
                PersonAccount(person_id="gm1", channel="wecom", user_id="WangWei"),
            ]
        )
    async with db.session() as session:
        found = await registry.person_for(session=session, channel="bridge", user_id="wxid_abc")
        assert found is not None and found.person_id == "gm1"  # the account wins over a roster id
        found = await registry.person_for(session=session, channel="wecom", user_id="WangWei")
        assert found is not None and found.person_id == "gm1"
        found = await registry.person_for(session=session, channel="wecom", user_id="lead7")
        assert found is not None and (found.person_id, found.name) == ("lead7", "李楼栋长")  # roster id
        found = await registry.person_for(session=session, channel="wecom", user_id="wxid_abc")
        assert found is not None and found.person_id == "wxid_abc"  # no wecom account: the roster id
        assert await registry.person_for(session=session, channel="bridge", user_id="stranger") is None


async def test_group_activity_is_refreshed_once_a_minute_not_per_message(
    db: Database, settings: Settings
) -> None:
    registry_rows = await make_registry(db, groups=1)
    gid = registry_rows["groups"][0]
    await deliver(db, settings, message("收到", group=gid))
    first = await activity(db, gid)
    assert first is not None
    await deliver(db, settings, message("谢谢", group=gid))
    assert await activity(db, gid) == first  # within the minute: no UPDATE
    async with db.unit_of_work() as session:
        group = await session.get(Group, gid)
        assert group is not None
        group.last_activity_at = first - timedelta(minutes=5)
    await deliver(db, settings, message("好的", group=gid))
    latest = await activity(db, gid)
    assert latest is not None and latest > first - timedelta(minutes=1)


async def activity(db: Database, gid: str) -> datetime | None:
    async with db.session() as session:
        group = await session.get(Group, gid)
        return group.last_activity_at if group else None
