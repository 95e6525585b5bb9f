"""The ticket state machine through its public service API: transitions, permissions, notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.messages import IncomingMessage
from bot.services import registry
from bot.services.ticket import open_or_merge
from bot.services.workflow import TRANSITIONS, Actor, TicketError, apply_action, recategorise
from bot.settings import Settings
from models.base import utcnow
from models.classifier import ClassifierCorrection
from models.outbox import OutboxMessage
from models.registry import Person, Role
from tests.bot.services.ticket_helpers import actions, message, replies, ticket, verdict
from tests.factories import make_registry


async def open_report(db: Database, settings: Settings, msg: IncomingMessage, v: object) -> tuple[int, bool]:
    async with db.unit_of_work() as session:
        group = await registry.get_group(session=session, group_id=msg.group_id) if msg.group_id else None
        t, merged = await open_or_merge(session=session, settings=settings, msg=msg, verdict=v, group=group)
        return t.number, merged


async def actor(db: Database, person_id: str) -> Actor:
    async with db.session() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        return Actor.from_person(person)


async def act(db: Database, settings: Settings, number: int, action: str, who: Actor, **kw: object) -> str:
    async with db.unit_of_work() as session:
        t = await apply_action(
            session=session, settings=settings, number=number, action=action, actor=who, **kw
        )  # type: ignore[arg-type]
        return t.status


RESIDENT = Actor(person_id="r1", role=Role.RESIDENT, user_ids=("r1",))


async def test_lifecycle_with_group_updates_and_feedback(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=2)
    n, merged = await open_report(db, settings, message("3栋楼道有人拉飞线给电动车充电"), verdict("hazard"))
    assert not merged
    opened = await ticket(db, n)
    assert (opened.status, opened.assignee_id, opened.sla_policy) == ("assigned", "gm1", "hazard")
    assert opened.accept_due_at is not None and opened.resolve_due_at is not None
    assert opened.accept_due_at < opened.resolve_due_at
    gm1 = await actor(db, "gm1")
    assert await act(db, settings, n, "accept", gm1) == "accepted"
    with pytest.raises(TicketError) as err:
        await act(db, settings, n, "progress", gm1)  # a progress note is required
    assert err.value.code == "bad_request"
    assert await act(db, settings, n, "progress", gm1, note="已联系物业电工") == "in_progress"
    assert await act(db, settings, n, "resolve", gm1, note="飞线已拆除") == "resolved"
    assert (await ticket(db, n)).feedback_asked_at is not None
    assert await act(db, settings, n, "satisfied", RESIDENT) == "closed"
    done = await ticket(db, n)
    assert done.satisfied is True and done.closed_at is not None
    assert await actions(db, n) == ["open", "dispatch", "accept", "progress", "resolve", "satisfied"]
    group_texts = await replies(db, "g0@chatroom")
    assert any(f"工单 #{n}" in t and "签收" in t for t in group_texts)
    resolved = [t for t in group_texts if "已办结" in t]
    assert resolved and "飞线已拆除" in resolved[0] and f"满意 #{n}" in resolved[0]
    async with db.session() as session:
        prompt = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"grp:{n}:resolved:%"))
        )
        alert = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"alert:{n}:1:gm1")
        )
    assert prompt is not None and prompt.mentions == ["r1"]
    assert alert is not None and alert.target_kind == "user" and f"/console/tickets/{n}" in alert.body


async def test_permission_refusals(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=3, grids=2)
    n, _ = await open_report(db, settings, message("楼道里堆满了纸箱挡住消防通道"), verdict("hazard"))
    for who in (RESIDENT, await actor(db, "gm2"), await actor(db, "leader0"), await actor(db, "lead-health")):
        with pytest.raises(TicketError) as err:
            await act(db, settings, n, "accept", who)
        assert err.value.code == "forbidden"
        assert "不能接单" in err.value.message
    with pytest.raises(TicketError) as err:
        await act(db, settings, n, "satisfied", await actor(db, "gm1"))  # only the reporter rates
    assert err.value.code == "forbidden"
    assert (await ticket(db, n)).status == "assigned"
    # the grid leader and an admin of that grid may act
    assert await act(db, settings, n, "accept", await actor(db, "gl1")) == "accepted"
    assert (await ticket(db, n)).assignee_id == "gl1"


async def test_illegal_transitions_refused_with_a_clear_reason(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    n, _ = await open_report(db, settings, message("小区门口有人打架"), verdict("security"))
    gm1 = await actor(db, "gm1")
    with pytest.raises(TicketError) as err:
        await act(db, settings, n, "resolve", gm1)
    assert err.value.code == "illegal_transition"
    assert "当前已分拨，不能办结" in err.value.message and f"接单 #{n}" in err.value.message
    with pytest.raises(TicketError) as err:
        await act(db, settings, n, "close", gm1)
    assert err.value.code == "illegal_transition"
    with pytest.raises(TicketError) as err:
        await act(db, settings, 9999, "accept", gm1)
    assert err.value.code == "not_found"
    with pytest.raises(TicketError) as err:
        await act(db, settings, n, "fly", gm1)
    assert err.value.code == "bad_request"
    assert await actions(db, n) == ["open", "dispatch"]  # nothing was logged for refusals


def test_transition_table_is_data_over_known_states() -> None:
    states = {
        "new",
        "assigned",
        "accepted",
        "in_progress",
        "resolved",
        "closed",
        "returned",
        "reopened",
        "merged",
        "duplicate",
    }
    for action, (sources, target) in TRANSITIONS.items():
        assert set(sources) <= states and target in states, action
    assert "closed" not in TRANSITIONS["accept"][0]


async def test_return_goes_back_to_dispatch_then_reassign_to_a_team(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    n, _ = await open_report(db, settings, message("家里水管爆了需要维修"), verdict("service", "repair"))
    assert (await ticket(db, n)).assignee_id == "leader0"
    leader = await actor(db, "leader0")
    with pytest.raises(TicketError) as err:
        await act(db, settings, n, "return", leader)  # a reason is required
    assert err.value.code == "bad_request"
    assert await act(db, settings, n, "return", leader, note="需要专业维修") == "returned"
    assert (await ticket(db, n)).assignee_id == "gm1"  # the dispatcher
    gm1 = await actor(db, "gm1")
    with pytest.raises(TicketError) as err:
        await act(db, settings, n, "reassign", gm1, target="舞蹈队")
    assert err.value.code == "bad_request" and "找不到" in err.value.message
    assert await act(db, settings, n, "reassign", gm1, target="家庭维修队") == "assigned"
    moved = await ticket(db, n)
    assert (moved.assignee_id, moved.assignee_team) == ("lead-repair", "repair")
    assert await act(db, settings, n, "reassign", gm1, target="网格长") == "assigned"  # by name
    assert (await ticket(db, n)).assignee_id == "gl1"
    assert await act(db, settings, n, "accept", await actor(db, "gl1")) == "accepted"


async def test_unsatisfied_reopens_with_a_new_deadline(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    n, _ = await open_report(db, settings, message("楼道灯坏了好几天"), verdict("service", "repair"))
    leader = await actor(db, "leader0")
    await act(db, settings, n, "accept", leader)
    await act(db, settings, n, "resolve", leader, note="已换灯泡")
    before = await ticket(db, n)
    assert await act(db, settings, n, "unsatisfied", RESIDENT, note="还是不亮") == "reopened"
    after = await ticket(db, n)
    assert after.satisfied is False and after.feedback_note == "还是不亮" and after.reopen_count == 1
    assert after.assignee_id == "leader0" and after.sla_cycle == before.sla_cycle + 1
    assert after.accept_due_at is not None and before.accept_due_at is not None
    assert after.accept_due_at >= before.accept_due_at  # equal when both fall outside business hours
    assert after.sla_started_at is not None and before.sla_started_at is not None
    assert after.sla_started_at > before.sla_started_at
    assert any("还是不亮" in body for body in await replies(db, "leader0"))
    assert await act(db, settings, n, "accept", leader) == "accepted"


async def test_private_categories_show_only_number_and_state_to_the_group(
    db: Database, settings: Settings
) -> None:
    await make_registry(db, groups=1)
    n, _ = await open_report(
        db, settings, message("楼上302半夜吵架摔东西 我电话13812345678"), verdict("dispute")
    )
    gm1 = await actor(db, "gm1")
    await act(db, settings, n, "accept", gm1)
    await act(db, settings, n, "resolve", gm1, note="已上门调解，双方和好")
    texts = await replies(db, "g0@chatroom")
    assert f"工单 #{n} 状态：已签收。" in texts
    assert all("调解" not in t and "302" not in t and "矛盾纠纷" not in t for t in texts)
    alerts = await replies(db, "gm1")
    assert alerts and "13812345678" not in alerts[0] and "5678" in alerts[0]  # redacted, recognisable


async def test_merge_and_duplicate_actions(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=2)
    first, _ = await open_report(db, settings, message("电梯坏了"), verdict("service", "repair"))
    second, _ = await open_report(
        db, settings, message("2栋电梯不动了", group="g1@chatroom"), verdict("service", "repair")
    )
    gm1 = await actor(db, "gm1")
    assert await act(db, settings, second, "merge", gm1, target=f"#{first}") == "merged"
    assert (await ticket(db, first)).report_count == 2
    assert (await ticket(db, second)).merged_into == first
    third, _ = await open_report(
        db, settings, message("下水道堵了", group="g1@chatroom"), verdict("service", "repair")
    )
    with pytest.raises(TicketError):
        await act(db, settings, third, "mark_duplicate", gm1, target=str(third))
    assert await act(db, settings, third, "mark_duplicate", gm1, target=str(first)) == "duplicate"
    assert "merge_from" in await actions(db, first)


async def test_recategorise_records_correction_and_reroutes(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    n, _ = await open_report(db, settings, message("燃气灶打不着火了"), verdict("hazard"))
    assert (await ticket(db, n)).assignee_id == "gm1"
    with pytest.raises(TicketError) as err:
        async with db.unit_of_work() as session:
            await recategorise(
                session=session,
                settings=settings,
                number=n,
                category="service",
                subtype=None,
                urgent=False,
                actor=await actor(db, "gm1"),
            )
    assert err.value.code == "bad_request"
    with pytest.raises(TicketError) as err:
        async with db.unit_of_work() as session:
            await recategorise(
                session=session,
                settings=settings,
                number=n,
                category="service",
                subtype="repair",
                urgent=False,
                actor=RESIDENT,
            )
    assert err.value.code == "forbidden"
    async with db.unit_of_work() as session:
        await recategorise(
            session=session,
            settings=settings,
            number=n,
            category="service",
            subtype="repair",
            urgent=False,
            actor=await actor(db, "gm1"),
        )
    fixed = await ticket(db, n)
    assert (fixed.category, fixed.subtype, fixed.assignee_id) == ("service", "repair", "leader0")
    assert await actions(db, n) == ["open", "dispatch", "recategorise", "dispatch"]
    async with db.session() as session:
        correction = await session.scalar(select(ClassifierCorrection))
    assert correction is not None and (correction.old_category, correction.category) == ("hazard", "service")


async def test_repeat_report_merges_and_disputes_never_cross_flats(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=2)
    n, merged = await open_report(db, settings, message("3栋楼道里有人拉飞线给电动车充电"), verdict("hazard"))
    again, merged = await open_report(
        db, settings, message("3栋楼道又有人拉飞线充电瓶车了", sender="r2"), verdict("hazard")
    )
    assert (again, merged) == (n, True)
    assert (await ticket(db, n)).report_count == 2
    assert "merge_report" in await actions(db, n)
    # other category, other group, or dissimilar text: new tickets
    other, merged = await open_report(
        db, settings, message("3栋楼道里有人拉飞线给电动车充电", group="g1@chatroom"), verdict("hazard")
    )
    assert not merged and other != n
    _unrelated, merged = await open_report(
        db, settings, message("楼下垃圾好几天没人清理了"), verdict("hazard")
    )
    assert not merged
    # disputes: same flat merges, another flat never does
    d1, _ = await open_report(db, settings, message("楼上302天天半夜吵"), verdict("dispute"))
    assert (await ticket(db, d1)).flat == "302"
    d2, merged = await open_report(
        db, settings, message("302又在半夜吵，吵死了", sender="r3"), verdict("dispute")
    )
    assert (d2, merged) == (d1, True)
    d3, merged = await open_report(
        db, settings, message("楼上402天天半夜吵", sender="r4"), verdict("dispute")
    )
    assert not merged and d3 != d1


async def test_merge_window_and_urgent_upgrade(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    n, _ = await open_report(db, settings, message("楼道里有煤气味"), verdict("hazard"))
    again, merged = await open_report(
        db, settings, message("楼道里煤气味很浓快来人", sender="r2"), verdict("hazard", urgent=True)
    )
    assert (again, merged) == (n, True)
    upgraded = await ticket(db, n)
    assert upgraded.urgent and upgraded.sla_policy == "urgent" and upgraded.cc == ["gl1"]
    assert "upgrade_urgent" in await actions(db, n)
    async with db.unit_of_work() as session:
        old = await session.get(type(upgraded), n)
        assert old is not None
        old.created_at = utcnow() - timedelta(hours=3)  # outside the 2 h window
    later, merged = await open_report(db, settings, message("楼道里有煤气味", sender="r5"), verdict("hazard"))
    assert not merged and later != n
