"""SLA jobs: the 80% warning, multi-level escalation (督办), urgent re-paging, feedback timeout; idempotent runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path

from sqlalchemy import select, update

from bot.db import Database
from bot.services import registry
from bot.services.ticket import open_or_merge
from bot.services.workflow import Actor, apply_action
from bot.settings import Settings
from models.outbox import OutboxMessage
from models.registry import Person
from models.ticket import Ticket, TicketEvent
from scheduler.jobs import JOBS
from scheduler.ticket import close_unanswered, sweep
from tests.bot.services.ticket_helpers import actions, message, ticket, verdict
from tests.conftest import make_settings
from tests.factories import make_registry

WALL_CLOCK = {"policies": {"hazard": {"business_hours": False}, "default": {"business_hours": False}}}


async def open_one(db: Database, settings: Settings, text: str, v: object) -> Ticket:
    async with db.unit_of_work() as session:
        group = await registry.get_group(session=session, group_id="g0@chatroom")
        t, _ = await open_or_merge(
            session=session, settings=settings, msg=message(text), verdict=v, group=group
        )
        return t


async def alert_keys(db: Database) -> dict[str, str]:
    async with db.session() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.target_kind == "user"))).all()
        return {r.dedupe_key: r.target for r in rows}


async def escalations(db: Database, number: int) -> list[TicketEvent]:
    async with db.session() as session:
        rows = await session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_number == number, TicketEvent.action == "escalate")
            .order_by(TicketEvent.id)
        )
        return list(rows.all())


def wall_clock_settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path / "d", sla=WALL_CLOCK)


async def test_warning_at_80_percent_then_escalation_levels(db_url: str, tmp_path: Path) -> None:
    settings = wall_clock_settings(db_url, tmp_path)
    db = Database(settings.database.url)
    try:
        await make_registry(db, groups=1)
        t = await open_one(db, settings, "楼道里堆满纸箱挡住了消防通道", verdict("hazard"))
        start: datetime = t.sla_started_at  # type: ignore[assignment]
        assert t.accept_due_at == start + timedelta(minutes=60)
        n, c = t.number, t.sla_cycle
        assert (await sweep(db=db, settings=settings, now=start + timedelta(minutes=47))).warned == 0
        report = await sweep(db=db, settings=settings, now=start + timedelta(minutes=49))
        assert report.warned == 1
        assert (await alert_keys(db))[f"sla:{n}:{c}:warn:gm1"] == "gm1"
        assert (await sweep(db=db, settings=settings, now=start + timedelta(minutes=50))).warned == 0
        # breach: level 1 to the grid leader, logged as 督办
        report = await sweep(db=db, settings=settings, now=start + timedelta(minutes=61))
        assert report.escalated == 1
        events = await escalations(db, n)
        assert len(events) == 1 and events[0].note is not None and events[0].note.startswith("督办")
        assert events[0].data["to"] == ["gl1"]
        assert (await alert_keys(db))[f"sla:{n}:{c}:escalate:1:gl1"] == "gl1"
        assert (await sweep(db=db, settings=settings, now=start + timedelta(minutes=62))).escalated == 0
        # one escalation interval (60 min for hazard) later: level 2, the community admins
        report = await sweep(db=db, settings=settings, now=start + timedelta(minutes=121))
        assert report.escalated == 1
        assert (await alert_keys(db))[f"sla:{n}:{c}:escalate:2:admin1"] == "admin1"
        assert (
            await sweep(db=db, settings=settings, now=start + timedelta(days=3))
        ).escalated == 0  # no level 3
        assert (await ticket(db, n)).escalation_level == 2
    finally:
        await db.dispose()


async def test_run_after_downtime_does_missed_work_once(db_url: str, tmp_path: Path) -> None:
    settings = wall_clock_settings(db_url, tmp_path)
    db = Database(settings.database.url)
    try:
        await make_registry(db, groups=1)
        t = await open_one(db, settings, "楼道里堆满纸箱挡住了消防通道", verdict("hazard"))
        late = t.sla_started_at + timedelta(hours=5)  # type: ignore[operator]
        report = await sweep(db=db, settings=settings, now=late)
        assert (report.warned, report.escalated) == (0, 2)  # the warning is moot after the breach
        again = await sweep(db=db, settings=settings, now=late + timedelta(seconds=30))
        assert (again.warned, again.escalated) == (0, 0)
        assert [e.data["level"] for e in await escalations(db, t.number)] == [1, 2]
    finally:
        await db.dispose()


async def test_urgent_pages_until_accepted(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    t = await open_one(db, settings, "楼道里煤气味很浓，快来人", verdict("hazard", urgent=True))
    start: datetime = t.sla_started_at  # type: ignore[assignment]
    n, c = t.number, t.sla_cycle
    assert (await sweep(db=db, settings=settings, now=start + timedelta(minutes=4))).paged == 0
    assert (await sweep(db=db, settings=settings, now=start + timedelta(minutes=5, seconds=1))).paged == 1
    assert (await sweep(db=db, settings=settings, now=start + timedelta(minutes=6))).paged == 0
    keys = await alert_keys(db)
    assert keys[f"page:{n}:{c}:1:gm1"] == "gm1" and keys[f"page:{n}:{c}:1:gl1"] == "gl1"
    report = await sweep(db=db, settings=settings, now=start + timedelta(minutes=10, seconds=2))
    assert (report.paged, report.escalated) == (1, 1)  # the 10-minute accept limit is missed too
    async with db.unit_of_work() as session:
        person = await session.get(Person, "gm1")
        assert person is not None
        await apply_action(
            session=session,
            settings=settings,
            number=n,
            action="accept",
            actor=Actor.from_person(person),
            now=start + timedelta(minutes=11),
        )
    assert (await sweep(db=db, settings=settings, now=start + timedelta(minutes=20))).paged == 0
    assert (await actions(db, n)).count("page") == 2


async def test_feedback_timeout_closes(db: Database, settings: Settings) -> None:
    await make_registry(db, groups=1)
    t = await open_one(db, settings, "楼道灯坏了", verdict("service", "repair"))
    async with db.unit_of_work() as session:
        leader = await session.get(Person, "leader0")
        assert leader is not None
        await apply_action(
            session=session,
            settings=settings,
            number=t.number,
            action="accept",
            actor=Actor.from_person(leader),
        )
        resolved = await apply_action(
            session=session,
            settings=settings,
            number=t.number,
            action="resolve",
            actor=Actor.from_person(leader),
        )
        asked = resolved.feedback_asked_at
    assert asked is not None
    assert await close_unanswered(db=db, settings=settings, now=asked + timedelta(hours=71)) == 0
    assert (await ticket(db, t.number)).status == "resolved"
    assert await close_unanswered(db=db, settings=settings, now=asked + timedelta(hours=73)) == 1
    closed = await ticket(db, t.number)
    assert closed.status == "closed" and closed.satisfied is None
    assert (await actions(db, t.number))[-1] == "close"
    assert await close_unanswered(db=db, settings=settings, now=asked + timedelta(hours=80)) == 0


async def test_unrouted_ticket_is_dispatched_when_someone_is_registered(
    db: Database, settings: Settings
) -> None:
    await make_registry(db, groups=1)
    async with db.unit_of_work() as session:
        await session.execute(update(Person).values(active=False))
    t = await open_one(db, settings, "楼道里堆满纸箱挡住了消防通道", verdict("hazard"))
    assert (t.status, t.assignee_id) == ("new", None)
    assert await actions(db, t.number) == ["open", "dispatch_failed"]
    async with db.unit_of_work() as session:
        await session.execute(update(Person).where(Person.person_id == "admin1").values(active=True))
    assert (await sweep(db=db, settings=settings)).dispatched == 1
    assert ((await ticket(db, t.number)).status, (await ticket(db, t.number)).assignee_id) == (
        "assigned",
        "admin1",
    )


def test_jobs_are_registered_and_importable() -> None:
    ours = {job_id: func for job_id, func, _, _ in JOBS if func.startswith("scheduler.ticket:")}
    assert set(ours) == {"ticket_sla", "ticket_feedback"}
    for func in ours.values():
        module, _, name = func.partition(":")
        assert callable(getattr(import_module(module), name))
