"""The ingest spool (bot/spool.py): acks commit to a small SQLite file; a mover fills the inbox table."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.db import Database
from bot.messages import IncomingMessage
from bot.services import inbox
from bot.settings import Settings
from bot.simulator import bridge_request
from bot.spool import Spool, SpoolMover, spool_path
from models.auth import TokenRole
from models.base import utcnow
from models.inbox import InboxMessage
from tests.conftest import BACKEND
from tests.factories import make_token, settle_ingest


def message(n: int, text: str = "收到") -> IncomingMessage:
    return IncomingMessage(
        channel="bridge",
        msg_id=f"m{n}",
        group_id="g1@chatroom",
        group_name="3栋业主群",
        sender_id="wxid_u",
        text=text,
        mentions=("楼栋长",),
        received_at=utcnow(),
        reply_url=None,
    )


async def open_spool(path: Path) -> Spool:
    spool = Spool(path)
    await spool.open()
    return spool


def test_the_spool_lives_beside_a_sqlite_database_only() -> None:
    assert spool_path("sqlite+aiosqlite:////var/lib/weigrid/weigrid.db") == Path(
        "/var/lib/weigrid/weigrid-spool.db"
    )
    assert spool_path("sqlite:///./var/data") == Path("var/data-spool.db")
    assert spool_path("sqlite+aiosqlite:///:memory:") is None
    assert spool_path("postgresql+psycopg://u@127.0.0.1/weigrid") is None


async def test_add_many_dedupes_and_survives_a_reopen(tmp_path: Path) -> None:
    spool = await open_spool(tmp_path / "s.db")
    created = await spool.add_many([(message(1), "{}", 5), (message(2), "{}", 0), (message(1), "{}", 5)])
    assert created == [True, True, False]
    await spool.close()

    again = await open_spool(tmp_path / "s.db")
    assert await again.add_many([(message(2), "{}", 0), (message(3), "{}", 5)]) == [False, True]
    assert await again.pending() == 3
    rows = await again.unmoved(10)
    assert [r["msg_id"] for _, r in rows] == ["m1", "m2", "m3"]
    first = rows[0][1]
    assert first["received_at"].tzinfo is not None
    assert (first["group_name"], first["mentions"], first["priority"]) == ("3栋业主群", ["楼栋长"], 5)
    await again.close()


def test_a_spooled_row_is_exactly_the_inbox_row() -> None:
    from bot.spool import _decode, _encode

    for msg in (message(1), message(2, "3栋楼道里闻到煤气味")):
        assert _decode(_encode(msg, "<xml>raw</xml>", 0)) == inbox.row_values(msg, "<xml>raw</xml>", 0)


async def test_a_spool_of_an_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=99")
    with pytest.raises(RuntimeError, match="spool format 99"):
        await open_spool(path)


async def test_the_mover_fills_the_inbox_once_even_when_it_crashed_before_marking(
    db: Database, tmp_path: Path
) -> None:
    spool = await open_spool(tmp_path / "s.db")
    wake, inbox_wake = asyncio.Event(), asyncio.Event()
    urgent_seen: list[int] = []
    mover = SpoolMover(
        spool=spool,
        db=db,
        wakeup=wake,
        inbox_wakeup=inbox_wake,
        on_urgent=lambda: urgent_seen.append(1),
        batch=2,
    )
    await spool.add_many([(message(i, f"第{i}条"), "{}", 0 if i == 4 else 5) for i in range(5)])

    # A crash between the inbox commit and the "moved" mark: the rows are moved again later.
    rows = await spool.unmoved(3)
    async with db.unit_of_work() as session:
        await inbox.insert_rows(session=session, rows=[r for _, r in rows])

    await mover.drain()
    assert inbox_wake.is_set()
    assert urgent_seen == [1]  # m4 is urgent: the inbox worker is told to claim again at once
    assert await spool.pending() == 0
    async with db.session() as session:
        stored = (await session.scalars(select(InboxMessage).order_by(InboxMessage.msg_id))).all()
    assert [r.msg_id for r in stored] == ["m0", "m1", "m2", "m3", "m4"]  # each once
    assert {r.msg_id: r.priority for r in stored}["m4"] == inbox.URGENT
    assert stored[0].text == "第0条" and stored[0].status == "pending"

    # A platform retry of a moved message is still a duplicate at the ack ...
    assert await spool.add_many([(message(1), "{}", 5)]) == [False]
    # ... until the moved row is purged.
    assert await spool.purge(older_than_s=0, chunk=2) == 5  # in chunks of 2: 2 + 2 + 1
    assert await spool.add_many([(message(1), "{}", 5)]) == [True]
    await mover.drain()  # and the inbox's own key drops it then
    async with db.session() as session:
        assert len((await session.scalars(select(InboxMessage))).all()) == 5
    await spool.close()


@pytest.mark.skipif(BACKEND != "sqlite", reason="the spool is used on SQLite only")
async def test_stats_count_spooled_messages_as_received_and_pending(
    app: Any, client: httpx.AsyncClient, settings: Settings
) -> None:
    await app.state.ingest.stop_mover()  # hold everything in the spool
    for i in range(3):
        req = bridge_request(
            settings, group_id="nogroup@chatroom", sender="u", text=f"第{i}条", msg_id=f"s{i}"
        )
        assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200
    token = await make_token(app.state.db, TokenRole.ADMIN)
    stats = (await client.get("/api/stats", headers={"Authorization": f"Bearer {token}"})).json()
    assert (stats["messages_received"], stats["inbox_pending"]) == (3, 3)

    await settle_ingest(app)
    async with app.state.db.session() as session:
        assert len((await session.scalars(select(InboxMessage))).all()) == 3
    stats = (await client.get("/api/stats", headers={"Authorization": f"Bearer {token}"})).json()
    assert stats["messages_received"] == 3
