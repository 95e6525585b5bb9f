"""Bridge relay endpoint: HMAC signature, skew, JSON validation, size, dedupe."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from bot.simulator import bridge_request
from bot.webhooks.bridge import sign
from models.inbox import InboxMessage
from tests.factories import settle_ingest


async def inbox_rows(app: Any) -> int:
    await settle_ingest(app)
    async with app.state.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(InboxMessage)) or 0)


def signed(settings: Settings, body: bytes, ts: int | None = None) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    return {
        "X-WeiGrid-Timestamp": stamp,
        "X-WeiGrid-Signature": sign(settings.secret("bridge", "secret"), stamp, body),
        "Content-Type": "application/json",
    }


async def test_signed_message_is_stored_once_for_four_posts(
    settings: Settings, client: httpx.AsyncClient, app: Any
) -> None:
    req = bridge_request(settings, group_id="room1@chatroom", sender="wxid_a", text="你好", msg_id="m-1")
    answers = []
    for _ in range(4):
        resp = await client.post(req.path, headers=req.headers, content=req.content)
        assert resp.status_code == 200
        answers.append(resp.json()["duplicate"])
    assert answers == [False, True, True, True]
    assert await inbox_rows(app) == 1


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: {**h, "X-WeiGrid-Signature": "sha256=" + "0" * 64},
        lambda h: {k: v for k, v in h.items() if k != "X-WeiGrid-Signature"},
        lambda h: {k: v for k, v in h.items() if k != "X-WeiGrid-Timestamp"},
        lambda h: {**h, "X-WeiGrid-Signature": h["X-WeiGrid-Signature"].replace("sha256=", "sha1=")},
    ],
    ids=["forged", "no-signature", "no-timestamp", "wrong-scheme"],
)
async def test_bad_signatures_are_403(
    settings: Settings, client: httpx.AsyncClient, app: Any, mutate: Any
) -> None:
    req = bridge_request(settings, group_id="room1", sender="a", text="hi")
    resp = await client.post(req.path, headers=mutate(dict(req.headers)), content=req.content)
    assert resp.status_code == 403
    assert await inbox_rows(app) == 0


async def test_stale_timestamp_is_refused(settings: Settings, client: httpx.AsyncClient, app: Any) -> None:
    body = json.dumps({"msg_id": "1", "room_id": "r", "sender_id": "s", "text": "t"}).encode()
    resp = await client.post(
        "/bridge/messages", headers=signed(settings, body, int(time.time()) - 301), content=body
    )
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "stale_timestamp"
    assert await inbox_rows(app) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b'{"room_id": "r", "sender_id": "s", "text": "t"}', 400),
        (b'{"msg_id": "", "room_id": "r", "sender_id": "s", "text": "t"}', 400),
        (b'{"msg_id": "1", "room_id": "r", "sender_id": "s", "text": 5}', 400),
        (b"[1, 2, 3]", 400),
        ("你好".encode("gbk"), 400),
    ],
    ids=["malformed", "missing-msg-id", "empty-msg-id", "text-not-string", "not-object", "non-utf8"],
)
async def test_bad_bodies_are_400(
    settings: Settings, client: httpx.AsyncClient, app: Any, body: bytes, status: int
) -> None:
    resp = await client.post("/bridge/messages", headers=signed(settings, body), content=body)
    assert resp.status_code == status
    assert "error" in resp.json()
    assert await inbox_rows(app) == 0


async def test_oversized_body_is_413(settings: Settings, client: httpx.AsyncClient, app: Any) -> None:
    body = json.dumps({"msg_id": "1", "room_id": "r", "sender_id": "s", "text": "长" * 30000}).encode()
    resp = await client.post("/bridge/messages", headers=signed(settings, body), content=body)
    assert resp.status_code == 413
    assert await inbox_rows(app) == 0


async def test_server_stays_up_after_bad_input(settings: Settings, client: httpx.AsyncClient) -> None:
    for body in (b"\x00\x01", b"{", b"null"):
        await client.post("/bridge/messages", headers=signed(settings, body), content=body)
    assert (await client.get("/healthz")).text == "ok"
