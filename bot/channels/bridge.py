"""Channel ``bridge``: ordinary WeChat groups through a relay (WeChatFerry, wechaty ...).

``POST bridge.send_url`` with ``{"room_id", "text", "mentions", "msg_key"}``, signed exactly like inbound
bridge messages (``X-WeiGrid-Timestamp`` and ``X-WeiGrid-Signature: sha256=HMAC(secret, "<ts>.<body>")``).
``msg_key`` is stable across retries so the bridge can drop a repeat. The bridge answers 2xx
(optionally ``{"ok": false, "error": ...}`` for a permanent refusal); 429 and 5xx are retried.
"""

from __future__ import annotations

import json
import time

import httpx

from bot.channels.base import Outbound, SendError
from bot.channels.errors import from_status, from_transport
from bot.channels.text import pieces
from bot.webhooks.bridge import sign


class BridgeAdapter:
    """Posts group (or private) messages to the bridge's send URL."""

    name = "bridge"

    def __init__(
        self, *, send_url: str, secret: str, timeout_s: float = 10.0, http: httpx.AsyncClient | None = None
    ) -> None:
        self.send_url = send_url
        self._secret = secret
        self.http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)))

    async def send(self, item: Outbound) -> None:
        parts = pieces(self.name, item.target_kind, item.msgtype, item.body)
        for n, text in enumerate(parts):
            key = item.dedupe_key if len(parts) == 1 else f"{item.dedupe_key}#{n + 1}"
            body = json.dumps(
                {"room_id": item.target, "text": text, "mentions": list(item.mentions), "msg_key": key},
                ensure_ascii=False,
            ).encode()
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-WeiGrid-Timestamp": ts,
                "X-WeiGrid-Signature": sign(self._secret, ts, body),
            }
            try:
                response = await self.http.post(self.send_url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                raise from_transport(exc, "bridge") from None
            from_status(response, "bridge")
            try:
                data = response.json()
            except ValueError:
                data = {}
            if isinstance(data, dict) and data.get("ok") is False:
                raise SendError(f"bridge refused: {str(data.get('error', ''))[:200]}", retryable=False)

    async def aclose(self) -> None:
        await self.http.aclose()
