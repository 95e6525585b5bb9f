"""Emergencies jump the inbox queue: triage at ingest, urgent rows claimed first."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from bot.db import Database
from bot.messages import IncomingMessage
from bot.services import inbox
from bot.settings import Settings
from bot.simulator import bridge_request
from models.base import utcnow
from models.inbox import InboxMessage
from tests.factories import settle_ingest


def message(n: int, text: str) -> IncomingMessage:
    return IncomingMessage(
        channel="bridge", msg_id=f"m{n}", group_id="g", sender_id="u", text=text, received_at=utcnow()
    )


async def test_urgent_rows_are_claimed_before_older_ones(db: Database) -> None:
    async with db.unit_of_work() as session:
        created = await inbox.accept_many(
            session=session,
            items=[
                (message(1, "收到"), "{}", inbox.NORMAL),
                (message(2, "谢谢"), "{}", inbox.NORMAL),
                (message(3, "着火了快来人"), "{}", inbox.URGENT),
                (message(1, "收到"), "{}", inbox.NORMAL),  # a retry inside the same batch
            ],
        )
    assert created == [True, True, True, False]
    async with db.unit_of_work() as session:
        rows = await inbox.claim(session=session, worker_id="w", limit=10, lease_s=10)
        texts = {r.id: r.text for r in (await session.scalars(select(InboxMessage))).all()}
    assert [texts[i] for i, _ in rows] == ["着火了快来人", "收到", "谢谢"]
    assert [p for _, p in rows] == [inbox.URGENT, inbox.NORMAL, inbox.NORMAL]


async def test_webhook_triages_an_emergency_as_urgent(
    settings: Settings, client: httpx.AsyncClient, app: Any
) -> None:
    for i, text in enumerate(["大家早上好", "楼道里闻到很浓的煤气味"]):
        req = bridge_request(settings, group_id="nogroup@chatroom", sender="u", text=text, msg_id=f"t{i}")
        assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200
    await settle_ingest(app)
    async with app.state.db.session() as session:
        rows = {r.text: r.priority for r in (await session.scalars(select(InboxMessage))).all()}
    assert rows == {"大家早上好": inbox.NORMAL, "楼道里闻到很浓的煤气味": inbox.URGENT}
