"""WeCom app callback: official vectors, dedupe, and every kind of bad input (4xx, nothing stored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.simulator import wecom_request, wecom_xml
from models.inbox import InboxMessage
from tests.conftest import make_settings
from tests.factories import settle_ingest

# From WeCom's official WXBizMsgCrypt sample (加解密方案说明; sbzhu/weworkapi_python callback/Sample.py).
VECTOR = {
    "token": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    "encoding_aes_key": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    "corp_id": "ww1436e0e65a779aee",
}
VERIFY = {
    "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
}
POST_PARAMS = {
    "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
    "timestamp": "1476422779",
    "nonce": "1597212914",
}
POST_BODY = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n"
    "<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n"
    "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
)


@pytest.fixture
async def vector_client(db_url: str, tmp_path: Path) -> Any:
    settings = make_settings(
        db_url,
        tmp_path / "data",
        wecom={
            "token": VECTOR["token"],
            "encoding_aes_key": VECTOR["encoding_aes_key"],
            "corp_id": VECTOR["corp_id"],
            "max_clock_skew_s": 0,
        },
        server={"run_workers": False, "run_scheduler": False},
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as c,
    ):
        yield c, app


async def inbox_count(app: Any) -> int:
    await settle_ingest(app)
    async with app.state.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(InboxMessage)) or 0)


async def test_official_url_verification_vector(vector_client: Any) -> None:
    client, _ = vector_client
    resp = await client.get("/wecom/callback", params=VERIFY)
    assert resp.status_code == 200
    assert resp.text == "1288432023552776189"


async def test_official_post_vector_is_stored_once_for_four_deliveries(vector_client: Any) -> None:
    client, app = vector_client
    for _ in range(4):  # WeCom retries up to 3 times
        resp = await client.post("/wecom/callback", params=POST_PARAMS, content=POST_BODY.encode())
        assert resp.status_code == 200
        assert resp.content == b""
    async with app.state.db.session() as s:
        rows = (await s.scalars(select(InboxMessage))).all()
    assert len(rows) == 1
    assert (rows[0].channel, rows[0].msg_id, rows[0].sender_id, rows[0].text) == (
        "wecom",
        "1456453720",
        "ChenJiaShun",
        "你好",
    )


async def test_vector_signature_refused_when_clock_skew_enforced(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        db_url,
        tmp_path / "d",
        wecom={**VECTOR, "max_clock_skew_s": 300},
        server={"run_workers": False, "run_scheduler": False},
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://t") as c,
    ):
        resp = await c.post("/wecom/callback", params=POST_PARAMS, content=POST_BODY.encode())
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "stale_timestamp"
        assert await inbox_count(app) == 0


async def test_forged_signature_is_403_and_stores_nothing(vector_client: Any) -> None:
    client, app = vector_client
    params = {**POST_PARAMS, "msg_signature": "0" * 40}
    resp = await client.post("/wecom/callback", params=params, content=POST_BODY.encode())
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "bad_signature"
    assert await inbox_count(app) == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"<xml><Encrypt>not closed", "bad_xml"),
        (b"<xml><Nothing/></xml>", "bad_xml"),
        (b"\xff\xfe<xml/>", "not_utf8"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<xml><Encrypt>&lol2;</Encrypt></xml>",
            "bad_xml",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Encrypt>&xxe;</Encrypt></xml>',
            "bad_xml",
        ),
    ],
    ids=["malformed", "no-encrypt", "non-utf8", "billion-laughs", "external-entity"],
)
async def test_bad_bodies_are_400(vector_client: Any, body: bytes, code: str) -> None:
    client, app = vector_client
    resp = await client.post("/wecom/callback", params=POST_PARAMS, content=body)
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == code
    assert await inbox_count(app) == 0


async def test_bad_aes_is_400(settings: Any, client: httpx.AsyncClient, app: Any) -> None:
    from wechatpy.crypto import _get_signature

    garbage = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="  # valid base64, not a valid ciphertext
    req = wecom_request(settings, sender="u1", text="hi")
    sig = _get_signature(
        settings.secret("wecom", "token"), req.params["timestamp"], req.params["nonce"], garbage
    )
    body = f"<xml><ToUserName>x</ToUserName><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>"
    resp = await client.post(
        "/wecom/callback", params={**req.params, "msg_signature": sig}, content=body.encode()
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "bad_aes"
    assert await inbox_count(app) == 0


async def test_oversized_body_is_413(vector_client: Any) -> None:
    client, app = vector_client
    resp = await client.post(
        "/wecom/callback", params=POST_PARAMS, content=b"<xml>" + b"a" * 70000 + b"</xml>"
    )
    assert resp.status_code == 413
    assert await inbox_count(app) == 0


async def test_missing_query_params_is_4xx_not_500(vector_client: Any) -> None:
    client, app = vector_client
    resp = await client.post("/wecom/callback", content=POST_BODY.encode())
    assert resp.status_code == 403  # no msg_signature: a missing signature
    assert resp.json()["error"]["code"] == "bad_signature"
    no_timestamp = {k: v for k, v in POST_PARAMS.items() if k != "timestamp"}
    resp = await client.post("/wecom/callback", params=no_timestamp, content=POST_BODY.encode())
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "missing_timestamp"
    long_nonce = POST_PARAMS | {"nonce": "n" * 200}
    resp = await client.post("/wecom/callback", params=long_nonce, content=POST_BODY.encode())
    assert resp.status_code == 400
    assert await inbox_count(app) == 0


async def test_round_trip_with_generated_keys(settings: Any, client: httpx.AsyncClient, app: Any) -> None:
    req = wecom_request(settings, sender="gm1", text="查询 #1", msg_id="42")
    resp = await client.post(req.path, params=req.params, content=req.content)
    assert resp.status_code == 200
    assert await inbox_count(app) == 1


def test_events_are_keyed_by_sender_and_time() -> None:
    from bot.webhooks.wecom import safe_xml, to_incoming

    xml = (
        "<xml><ToUserName>c</ToUserName><FromUserName>u1</FromUserName><CreateTime>1700000000</CreateTime>"
        "<MsgType>event</MsgType><Event>enter_agent</Event><AgentID>1</AgentID></xml>"
    )
    msg = to_incoming(safe_xml(xml))
    assert msg.msg_id == "event:u1:1700000000:enter_agent"
    assert msg.text == ""


def test_text_messages_are_typed_by_wechatpy() -> None:
    from wechatpy.enterprise.messages import TextMessage

    from bot.webhooks.wecom import safe_xml, to_incoming, typed_message

    fields = safe_xml(wecom_xml(corp_id="c", sender="u2", text="楼道漏水", msg_id="77"))
    assert isinstance(typed_message(fields), TextMessage)
    msg = to_incoming(fields)
    assert (msg.msg_id, msg.sender_id, msg.text) == ("77", "u2", "楼道漏水")


def test_a_message_without_msgtype_is_bad_xml() -> None:
    from bot.webhooks.common import BadInput
    from bot.webhooks.wecom import to_incoming

    with pytest.raises(BadInput) as err:
        to_incoming({"FromUserName": "u1", "CreateTime": "1"})
    assert err.value.status_code == 400
    assert wecom_xml(corp_id="c", sender="s", text="t", msg_id="1").startswith("<xml>")
