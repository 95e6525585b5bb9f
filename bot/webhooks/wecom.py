"""WeCom (企业微信) app callback: ``GET/POST /wecom/callback``.

URL verification and message decryption use wechatpy's WeCom crypto; the decrypted XML is read once
with ``bot/webhooks/flatxml.py`` (expat, no DTDs, no entities) and typed with wechatpy's message
classes. See https://developer.work.weixin.qq.com/document/path/90968
(加解密方案说明) and https://developer.work.weixin.qq.com/document/path/90239 (接收消息格式).
"""

from __future__ import annotations

import functools
import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from wechatpy.crypto import _get_signature
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto
from wechatpy.enterprise.events import EVENT_TYPES
from wechatpy.enterprise.messages import MESSAGE_TYPES
from wechatpy.messages import BaseMessage, UnknownMessage

from bot.messages import IncomingMessage
from bot.webhooks.common import BadInput, Echo, Signed, decode_utf8, read_body, signed_params
from bot.webhooks.flatxml import read_flat_xml
from bot.webhooks.ingest import store_and_ack
from models.base import utcnow

logger = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])


def safe_xml(text: str) -> dict[str, str]:
    """Parse a flat WeCom XML document into {tag: text}, refusing DTDs and entities (XML bombs)."""
    try:
        return read_flat_xml(text)
    except ValueError as exc:  # malformed, or UnsafeXml (a DTD or an entity declaration)
        raise BadInput(400, "bad_xml", f"malformed or unsafe XML: {type(exc).__name__}") from None


class CallbackCipher:
    """WeCom's callback scheme for one (Token, EncodingAESKey, receive id), built once.

    The signature is wechatpy's (SHA-1 over the sorted token, timestamp, nonce and ciphertext),
    compared in constant time; decryption is wechatpy's ``PrpCrypto`` (AES-CBC, PKCS#7, receive id
    check). Building the AES objects per request was ~5% of an ack's CPU, so they are kept.
    """

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        crypto = WeChatCrypto(token, encoding_aes_key, receive_id)  # validates the key
        self.token = token
        self.receive_id = receive_id
        self._prp = PrpCrypto(crypto.key)

    def decrypt(self, signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
        """Check the signature, then decrypt. 403 for a bad signature, 400 for anything that fails to decrypt."""
        expected = _get_signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(str(expected).encode(), signature.encode()):
            raise BadInput(403, "bad_signature", "msg_signature does not match")
        try:
            return str(self._prp.decrypt(encrypted, self.receive_id))
        except Exception as exc:  # binascii, struct, unicode, padding, wrong receive id: all mean "bad AES"
            raise BadInput(400, "bad_aes", f"cannot decrypt: {type(exc).__name__}") from None


@functools.lru_cache(maxsize=16)
def callback_cipher(token: str, encoding_aes_key: str, receive_id: str) -> CallbackCipher:
    return CallbackCipher(token, encoding_aes_key, receive_id)


def crypto_for(request: Request) -> CallbackCipher:
    settings = request.app.state.settings
    return callback_cipher(
        settings.secret("wecom", "token"),
        settings.secret("wecom", "encoding_aes_key"),
        settings.wecom.corp_id,
    )


@router.get("/wecom/callback", response_class=Response)
async def verify_url(request: Request, signed: Signed, echostr: Echo) -> Response:
    """URL verification: decrypt ``echostr`` and return it as plain text."""
    plain = crypto_for(request).decrypt(signed.msg_signature, signed.timestamp, signed.nonce, echostr)
    return Response(content=plain, media_type="text/plain")


async def receive(request: Request) -> Response:
    """An encrypted message or event. Stored in the inbox, then an empty 200 at once."""
    signed = signed_params(request)
    settings = request.app.state.settings
    body = decode_utf8(await read_body(request, settings.server.max_body_bytes))
    envelope = safe_xml(body)
    if not envelope.get("Encrypt"):
        raise BadInput(400, "bad_xml", "no Encrypt element")
    plain = crypto_for(request).decrypt(
        signed.msg_signature, signed.timestamp, signed.nonce, envelope["Encrypt"]
    )
    await store_and_ack(request, to_incoming(safe_xml(plain)), plain)
    return Response(status_code=200)


def typed_message(fields: dict[str, str]) -> BaseMessage:
    """wechatpy's typed message for the decrypted fields.

    The same class lookup as ``wechatpy.enterprise.parse_message``, fed with the fields we already
    parsed (safely, bot/webhooks/flatxml.py) instead of parsing the XML a second time with xmltodict.
    """
    msg_type = fields.get("MsgType", "").lower()
    if not msg_type:
        raise BadInput(400, "bad_xml", "no MsgType")
    if msg_type == "event":
        cls = EVENT_TYPES.get(fields.get("Event", "").lower(), UnknownMessage)
    else:
        cls = MESSAGE_TYPES.get(msg_type, UnknownMessage)
    try:
        return cls(fields)
    except Exception:
        raise BadInput(400, "bad_xml", "not a WeCom message") from None


def to_incoming(fields: dict[str, str]) -> IncomingMessage:
    """Turn a decrypted WeCom message into our typed message (events keyed by sender+time)."""
    parsed: Any = typed_message(fields)
    sender = fields.get("FromUserName", "")
    if not sender:
        raise BadInput(400, "bad_xml", "no FromUserName")
    create_time = fields.get("CreateTime", "")
    if fields.get("MsgType") == "event":
        msg_id = f"event:{sender}:{create_time}:{fields.get('Event', '')}"
        text = ""
    else:
        msg_id = fields.get("MsgId") or f"{sender}:{create_time}"
        text = str(getattr(parsed, "content", "") or "")
    return IncomingMessage(
        channel="wecom",
        msg_id=msg_id,
        group_id=None,  # app messages are private chats with the app
        sender_id=sender,
        text=text,
        received_at=utcnow(),
    )
