"""WeCom app messages: ``message/send`` (to people) and ``appchat/send`` (to app group chats).

* https://developer.work.weixin.qq.com/document/path/90236 (发送应用消息)
* https://developer.work.weixin.qq.com/document/path/90248 (应用推送消息, appchat)
* https://developer.work.weixin.qq.com/document/path/91039 (gettoken)

One access token is cached per app (api_base, corp_id, secret) in this process and shared by every
worker and adapter in it; it is refreshed ``refresh_margin_s`` before it expires, and at once when the
platform answers 40014/42001, after which the call is retried once. Several processes each fetch
their own token (one gettoken per process per two hours): WeCom keeps earlier tokens valid when a new
one is issued, so this is safe and cheap, and keeps the token out of the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.channels.base import Outbound, SendError
from bot.channels.errors import TOKEN_CODES, check_errcode, from_status, from_transport
from bot.channels.text import pieces

logger = logging.getLogger(__name__)

MAX_TOUSER = 1000  # message/send: touser joins at most 1000 ids with "|"


@dataclass
class _Token:
    value: str = ""
    expires_at: float = 0.0  # time.monotonic()
    loop: Any = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_TOKENS: dict[tuple[str, str, str], _Token] = {}


def token_slot(api_base: str, corp_id: str, secret: str) -> _Token:
    """The process-wide token slot of one app (the secret is only kept as a hash)."""
    key = (api_base.rstrip("/"), corp_id, hashlib.sha256(secret.encode()).hexdigest())
    slot = _TOKENS.setdefault(key, _Token())
    loop = asyncio.get_running_loop()
    if slot.loop is not loop:  # a new event loop (tests): a lock is bound to one loop
        slot.loop, slot.lock = loop, asyncio.Lock()
    return slot


class WeComClient:
    """A small async WeCom API client: token cache, errcode checks, refresh-and-retry-once."""

    def __init__(
        self,
        *,
        api_base: str,
        corp_id: str,
        secret: str,
        timeout_s: float = 10.0,
        refresh_margin_s: float = 300.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.corp_id = corp_id
        self._secret = secret
        self.refresh_margin_s = refresh_margin_s
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
        self.token_fetches = 0

    async def token(self, *, stale: str | None = None) -> str:
        """A valid access token. ``stale`` is a token the platform refused: it is replaced, once."""
        slot = token_slot(self.api_base, self.corp_id, self._secret)
        if slot.value and slot.value != stale and time.monotonic() < slot.expires_at:
            return slot.value
        async with slot.lock:
            if slot.value and slot.value != stale and time.monotonic() < slot.expires_at:
                return slot.value  # another task refreshed it while we waited
            try:
                response = await self.http.get(
                    f"{self.api_base}/cgi-bin/gettoken",
                    params={"corpid": self.corp_id, "corpsecret": self._secret},
                )
            except httpx.HTTPError as exc:
                raise SendError(f"gettoken: {type(exc).__name__}", retryable=True) from None
            from_status(response, "gettoken")
            data = response.json()
            check_errcode(data, "gettoken")
            ttl = float(data.get("expires_in", 7200))
            slot.value = str(data["access_token"])
            slot.expires_at = time.monotonic() + max(ttl - min(self.refresh_margin_s, ttl / 10), 1.0)
            self.token_fetches += 1
            logger.info("wecom: fetched an access token (valid %ss)", int(ttl))
            return slot.value

    async def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST ``payload`` to an access-token API; a refused token is refreshed and the call retried once."""
        token = await self.token()
        for attempt in (1, 2):
            try:
                response = await self.http.post(
                    f"{self.api_base}{path}", params={"access_token": token}, json=payload
                )
            except httpx.HTTPError as exc:
                raise from_transport(exc, path) from None
            from_status(response, path)
            try:
                data = response.json()
            except ValueError:
                raise SendError(f"{path}: answer is not JSON", retryable=True) from None
            if attempt == 1 and int(data.get("errcode", 0) or 0) in TOKEN_CODES:
                logger.info("wecom: token refused (%s); refreshing and retrying once", data.get("errcode"))
                token = await self.token(stale=token)
                continue
            check_errcode(data, path)
            return dict(data)
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        await self.http.aclose()


class WeComAdapter:
    """Channel ``wecom``: people through ``message/send``, app group chats through ``appchat/send``."""

    name = "wecom"

    def __init__(self, client: WeComClient, *, agent_id: int, duplicate_check: bool = True) -> None:
        self.client = client
        self.agent_id = agent_id
        self.duplicate_check = duplicate_check

    async def send(self, item: Outbound) -> None:
        msgtype = item.msgtype if item.msgtype in ("text", "markdown") else "text"
        kind = "user" if item.target_kind == "user" else "group"
        for piece in pieces(self.name, kind, msgtype, item.body):
            if kind == "user":
                await self._to_users(item.target, msgtype, piece)
            else:
                await self.client.post(
                    "/cgi-bin/appchat/send",
                    {"chatid": item.target, "msgtype": msgtype, msgtype: {"content": piece}, "safe": 0},
                )

    async def _to_users(self, target: str, msgtype: str, content: str) -> None:
        users = [u for u in target.split("|") if u]
        if not users:
            raise SendError("message/send: no recipient", retryable=False)
        for start in range(0, len(users), MAX_TOUSER):
            payload: dict[str, Any] = {
                "touser": "|".join(users[start : start + MAX_TOUSER]),
                "msgtype": msgtype,
                "agentid": self.agent_id,
                msgtype: {"content": content},
                "safe": 0,
            }
            if self.duplicate_check:
                # A retry after an ambiguous timeout is dropped by WeCom if the first try arrived.
                payload.update(enable_duplicate_check=1, duplicate_check_interval=1800)
            data = await self.client.post("/cgi-bin/message/send", payload)
            if data.get("invaliduser"):
                logger.warning("message/send: some recipients are invalid: %s", data["invaliduser"])

    async def aclose(self) -> None:
        await self.client.aclose()
