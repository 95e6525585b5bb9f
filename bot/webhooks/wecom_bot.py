"""WeCom intelligent robot (智能机器人) callback: ``GET/POST /wecom/bot``.

Encrypted JSON ``{"encrypt": ...}`` with the same signature scheme as the app callback and an empty
receive id. Group messages carry ``chatid``, ``from.userid``, ``msgid``, ``text.content`` and a
one-shot ``response_url`` (valid for an hour) that we keep for the reply.
See https://developer.work.weixin.qq.com/document/path/100719.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response

from bot.messages import IncomingMessage
from bot.webhooks.common import BadInput, Echo, Signed, decode_utf8, read_body, signed_params
from bot.webhooks.ingest import store_and_ack
from bot.webhooks.wecom import CallbackCipher, callback_cipher
from models.base import utcnow

logger = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])


def bot_crypto(request: Request) -> CallbackCipher:
    settings = request.app.state.settings
    return callback_cipher(
        settings.secret("wecom_bot", "token"), settings.secret("wecom_bot", "encoding_aes_key"), ""
    )


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise BadInput(400, "bad_json", f"{what} is not JSON") from None


@router.get("/wecom/bot", response_class=Response)
async def verify_bot_url(request: Request, signed: Signed, echostr: Echo) -> Response:
    """URL verification for the robot: decrypt ``echostr`` (receive id ``""``) and echo it."""
    crypto = bot_crypto(request)
    return Response(content=crypto.decrypt(signed.msg_signature, signed.timestamp, signed.nonce, echostr))


async def receive_bot(request: Request) -> Response:
    """A robot callback. Text messages go to the inbox; we ack with an empty 200 at once."""
    signed = signed_params(request)
    settings = request.app.state.settings
    body = decode_utf8(await read_body(request, settings.server.max_body_bytes))
    envelope = _json(body, "body")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("encrypt"), str):
        raise BadInput(400, "bad_json", 'body must be {"encrypt": "..."}')
    plain = bot_crypto(request).decrypt(
        signed.msg_signature, signed.timestamp, signed.nonce, envelope["encrypt"]
    )
    data = _json(plain, "decrypted payload")
    msg = to_incoming(data)
    if msg is not None:
        await store_and_ack(request, msg, plain)
    return Response(status_code=200)


def to_incoming(data: Any) -> IncomingMessage | None:
    """The typed message for a robot callback; ``None`` for what we do not handle (events, stream polls)."""
    if not isinstance(data, dict):
        raise BadInput(400, "bad_json", "payload must be an object")
    if data.get("msgtype") != "text":
        return None
    sender = data.get("from") or {}
    text = (data.get("text") or {}).get("content")
    msg_id = data.get("msgid")
    if not isinstance(msg_id, str) or not msg_id or not isinstance(sender, dict) or not sender.get("userid"):
        raise BadInput(400, "bad_json", "msgid and from.userid are required")
    if not isinstance(text, str):
        raise BadInput(400, "bad_json", "text.content must be a string")
    chat_id = data.get("chatid") if data.get("chattype", "group") == "group" else None
    return IncomingMessage(
        channel="wecom_bot",
        msg_id=msg_id,
        group_id=str(chat_id) if chat_id else None,
        sender_id=str(sender["userid"]),
        text=text,
        received_at=utcnow(),
        reply_url=data.get("response_url") or None,
    )
