"""Build inbound requests exactly as each platform would: WeCom XML encrypted with wechatpy, robot JSON
encrypted with the same scheme and receive id ``""``, bridge JSON signed with HMAC-SHA256.

Used by ``weigrid simulate``, the benchmarks and the tests.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from wechatpy.crypto import _get_signature
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from bot.settings import Settings
from bot.webhooks.bridge import sign


@dataclass(frozen=True)
class PreparedRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    content: bytes


def new_msg_id() -> str:
    return str(secrets.randbelow(10**18) + 10**18)


def wecom_xml(
    *, corp_id: str, sender: str, text: str, msg_id: str, agent_id: int = 1000002, at: int | None = None
) -> str:
    """A WeCom app text message, as the platform's plaintext XML."""
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{at or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{agent_id}</AgentID></xml>"
    )


def wecom_request(
    settings: Settings, *, sender: str, text: str, msg_id: str | None = None
) -> PreparedRequest:
    """An encrypted ``POST /wecom/callback`` carrying one text message."""
    crypto = WeChatCrypto(
        settings.secret("wecom", "token"),
        settings.secret("wecom", "encoding_aes_key"),
        settings.wecom.corp_id,
    )
    nonce, timestamp = secrets.token_hex(5), str(int(time.time()))
    plain = wecom_xml(
        corp_id=settings.wecom.corp_id, sender=escape(sender), text=text, msg_id=msg_id or new_msg_id()
    )
    envelope = crypto.encrypt_message(plain, nonce, timestamp)
    signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    return PreparedRequest(
        method="POST",
        path="/wecom/callback",
        params={"msg_signature": signature, "timestamp": timestamp, "nonce": nonce},
        headers={"Content-Type": "text/xml"},
        content=envelope.encode(),
    )


def encrypt_json(token: str, aes_key: str, payload: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """Encrypt a robot callback body: ({query params}, body bytes)."""
    import base64

    key = base64.b64decode(aes_key + "=")
    encrypted = PrpCrypto(key).encrypt(json.dumps(payload, ensure_ascii=False), "").decode()
    nonce, timestamp = secrets.token_hex(5), str(int(time.time()))
    signature = _get_signature(token, timestamp, nonce, encrypted)
    params = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}
    return params, json.dumps({"encrypt": encrypted}).encode()


def wecom_bot_request(
    settings: Settings,
    *,
    group_id: str,
    sender: str,
    text: str,
    msg_id: str | None = None,
    response_url: str | None = None,
) -> PreparedRequest:
    """An encrypted ``POST /wecom/bot`` carrying one group text message that @-mentions the robot."""
    payload = {
        "msgid": msg_id or new_msg_id(),
        "aibotid": "weigrid-bot",
        "chatid": group_id,
        "chattype": "group",
        "from": {"userid": sender},
        "response_url": response_url or "",
        "msgtype": "text",
        "text": {"content": f"@微网格助手 {text}"},
    }
    params, body = encrypt_json(
        settings.secret("wecom_bot", "token"), settings.secret("wecom_bot", "encoding_aes_key"), payload
    )
    return PreparedRequest("POST", "/wecom/bot", params, {"Content-Type": "application/json"}, body)


def bridge_request(
    settings: Settings,
    *,
    group_id: str,
    sender: str,
    text: str,
    msg_id: str | None = None,
    room_name: str | None = None,
    sender_name: str | None = None,
) -> PreparedRequest:
    """A signed ``POST /bridge/messages``."""
    body = json.dumps(
        {
            "msg_id": msg_id or new_msg_id(),
            "room_id": group_id,
            "room_name": room_name,
            "sender_id": sender,
            "sender_name": sender_name,
            "text": text,
            "mentions": [],
            "ts": int(time.time()),
        },
        ensure_ascii=False,
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-WeiGrid-Timestamp": timestamp,
        "X-WeiGrid-Signature": sign(settings.secret("bridge", "secret"), timestamp, body),
    }
    return PreparedRequest("POST", "/bridge/messages", {}, headers, body)


def local_replies_headers(settings: Settings, *, target: str, after: int) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "X-WeiGrid-Timestamp": timestamp,
        "X-WeiGrid-Signature": sign(
            settings.secret("bridge", "secret"), timestamp, f"{target}:{after}".encode()
        ),
    }
