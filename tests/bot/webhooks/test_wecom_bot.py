"""WeCom intelligent-robot callback: encrypted JSON with receive id "", response_url kept."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from bot.settings import Settings
from bot.simulator import encrypt_json, wecom_bot_request
from models.inbox import InboxMessage
from tests.factories import settle_ingest


async def test_group_message_is_stored_with_its_response_url(
    settings: Settings, client: httpx.AsyncClient, app: Any
) -> None:
    req = wecom_bot_request(
        settings,
        group_id="wrchat1",
        sender="zhangsan",
        text="电梯坏了",
        msg_id="bot-1",
        response_url="https://example.invalid/r/1",
    )
    for _ in range(2):
        resp = await client.post(req.path, params=req.params, content=req.content)
        assert resp.status_code == 200
    await settle_ingest(app)
    async with app.state.db.session() as s:
        rows = (await s.scalars(select(InboxMessage))).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.channel, row.group_id, row.sender_id) == ("wecom_bot", "wrchat1", "zhangsan")
    assert row.text == "@微网格助手 电梯坏了"
    assert row.reply_url == "https://example.invalid/r/1"


async def test_url_verification_echoes_the_decrypted_echostr(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    import base64

    from wechatpy.crypto import _get_signature
    from wechatpy.enterprise.crypto import PrpCrypto

    key = base64.b64decode(settings.secret("wecom_bot", "encoding_aes_key") + "=")
    echostr = PrpCrypto(key).encrypt("4620371198823", "").decode()
    params = {"timestamp": "1700000000", "nonce": "n1", "echostr": echostr}
    params["msg_signature"] = _get_signature(
        settings.secret("wecom_bot", "token"), params["timestamp"], params["nonce"], echostr
    )
    resp = await client.get("/wecom/bot", params=params)
    assert resp.status_code == 403  # 1700000000 is far in the past: replay refused
    import time

    params["timestamp"] = str(int(time.time()))
    params["msg_signature"] = _get_signature(
        settings.secret("wecom_bot", "token"), params["timestamp"], params["nonce"], echostr
    )
    resp = await client.get("/wecom/bot", params=params)
    assert resp.status_code == 200
    assert resp.text == "4620371198823"


async def test_bad_signature_and_bad_json(settings: Settings, client: httpx.AsyncClient) -> None:
    req = wecom_bot_request(settings, group_id="c", sender="u", text="x")
    bad = await client.post(req.path, params={**req.params, "msg_signature": "f" * 40}, content=req.content)
    assert bad.status_code == 403
    not_json = await client.post(req.path, params=req.params, content=b"<xml/>")
    assert not_json.status_code == 400
    params, body = encrypt_json(
        settings.secret("wecom_bot", "token"),
        settings.secret("wecom_bot", "encoding_aes_key"),
        {"msgtype": "text", "text": {"content": "x"}},
    )
    missing = await client.post("/wecom/bot", params=params, content=body)
    assert missing.status_code == 400
    assert "msgid" in json.loads(missing.text)["error"]["message"]


async def test_non_text_events_are_acked_without_storing(
    settings: Settings, client: httpx.AsyncClient, app: Any
) -> None:
    params, body = encrypt_json(
        settings.secret("wecom_bot", "token"),
        settings.secret("wecom_bot", "encoding_aes_key"),
        {"msgid": "e1", "msgtype": "event", "from": {"userid": "u"}, "event": {"eventtype": "enter_chat"}},
    )
    resp = await client.post("/wecom/bot", params=params, content=body)
    assert resp.status_code == 200
    async with app.state.db.session() as s:
        assert (await s.scalars(select(InboxMessage))).first() is None
