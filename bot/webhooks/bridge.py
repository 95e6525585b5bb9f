"""``POST /bridge/messages``: relays of ordinary WeChat groups (WeChatFerry, wechaty, gewechat ...).

Signed with ``X-WeiGrid-Signature: sha256=<hex HMAC-SHA256(bridge.secret, "<timestamp>.<raw body>")>``
and ``X-WeiGrid-Timestamp``. docs/bridge.md maps each bridge's message fields onto this body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from fastapi import Request, Response
from pydantic import BaseModel, Field, ValidationError

from bot.messages import IncomingMessage
from bot.webhooks.common import BadInput, check_timestamp, decode_utf8, read_body
from bot.webhooks.ingest import store_and_ack
from models.base import utcnow

logger = logging.getLogger(__name__)


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The bridge signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str | None) -> None:
    if not secret or not signature or not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise BadInput(403, "bad_signature", "X-WeiGrid-Signature does not match")


class BridgeMessage(BaseModel):
    """The body a bridge posts for one group message."""

    msg_id: str = Field(min_length=1, max_length=128)
    room_id: str = Field(min_length=1, max_length=128)
    room_name: str | None = Field(default=None, max_length=200)
    sender_id: str = Field(min_length=1, max_length=128)
    sender_name: str | None = Field(default=None, max_length=100)
    text: str = Field(max_length=16000)
    mentions: list[str] = Field(default_factory=list, max_length=100)
    ts: int | None = None


async def receive_bridge(request: Request) -> Response:
    """Verify, store, ack. A duplicate ``msg_id`` is acknowledged and adds nothing.

    A plain Starlette route (see ``bot/webhooks/common.py``): it reads its two headers itself.
    """
    x_weigrid_timestamp = request.headers.get("x-weigrid-timestamp")
    x_weigrid_signature = request.headers.get("x-weigrid-signature")
    settings = request.app.state.settings
    body = await read_body(request, settings.server.max_body_bytes)
    if x_weigrid_timestamp is None or x_weigrid_signature is None:
        raise BadInput(403, "bad_signature", "X-WeiGrid-Timestamp and X-WeiGrid-Signature are required")
    check_timestamp(x_weigrid_timestamp, settings.bridge.max_clock_skew_s)
    verify(settings.secret("bridge", "secret"), x_weigrid_timestamp, body, x_weigrid_signature)
    text = decode_utf8(body)
    try:
        payload = BridgeMessage.model_validate(json.loads(text))
    except ValueError as exc:  # JSONDecodeError and ValidationError are both ValueErrors
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else "body is not JSON"
        raise BadInput(400, "bad_json", detail) from None
    msg = IncomingMessage(
        channel="bridge",
        msg_id=payload.msg_id,
        group_id=payload.room_id,
        group_name=payload.room_name,
        sender_id=payload.sender_id,
        sender_name=payload.sender_name,
        text=payload.text,
        mentions=tuple(payload.mentions),
        received_at=utcnow(),
    )
    created = await store_and_ack(request, msg, text)
    sent = datetime.fromtimestamp(payload.ts, UTC).isoformat() if payload.ts else None
    return Response(
        content=json.dumps({"ok": True, "duplicate": not created, "sent_at": sent}),
        media_type="application/json",
    )
