"""Channel ``wecom_bot``: group robots (群机器人 webhook) and the intelligent robot's ``response_url``.

* Webhook: ``POST {api_base}/cgi-bin/webhook/send?key=KEY`` (https://developer.work.weixin.qq.com/document/path/99110);
  text ≤ 2048 bytes, markdown ≤ 4096; 20 messages a minute per robot. The key is the group's ``robot_key``.
* ``response_url`` (主动回复, https://developer.work.weixin.qq.com/document/path/101138): one call, valid for 1 h,
  markdown only. When it has expired or fails, the outbox worker re-routes the row to the group's own channel.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.channels.base import Outbound, SendError
from bot.channels.errors import check_errcode, from_status, from_transport
from bot.channels.text import pieces


class RobotAdapter:
    """Sends group messages through the group's robot webhook, and replies through ``response_url``."""

    name = "wecom_bot"

    def __init__(
        self, *, api_base: str, timeout_s: float = 10.0, http: httpx.AsyncClient | None = None
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    async def _post(
        self, url: str, payload: dict[str, Any], api: str, params: dict[str, str] | None = None
    ) -> None:
        try:
            response = await self.http.post(url, params=params, json=payload)
        except httpx.HTTPError as exc:
            raise from_transport(exc, api) from None
        from_status(response, api)
        try:
            data = response.json()
        except ValueError:
            raise SendError(f"{api}: answer is not JSON", retryable=True) from None
        check_errcode(data, api)

    async def send(self, item: Outbound) -> None:
        if item.target_kind == "reply" and item.reply_url:
            # Sent whole as one markdown message: the response_url takes exactly one call.
            content = pieces(self.name, "reply", "markdown", item.body)[0]
            await self._post(
                item.reply_url, {"msgtype": "markdown", "markdown": {"content": content}}, "response_url"
            )
            return
        if not item.robot_key:
            raise SendError(f"group {item.target} has no robot_key", retryable=False)
        msgtype = "markdown" if item.msgtype == "markdown" else "text"
        for piece in pieces(self.name, "group", msgtype, item.body):
            body: dict[str, Any] = {"content": piece}
            if msgtype == "text" and item.mentions:
                body["mentioned_list"] = list(item.mentions)
            await self._post(
                f"{self.api_base}/cgi-bin/webhook/send",
                {"msgtype": msgtype, msgtype: body},
                "webhook",
                {"key": item.robot_key},
            )

    async def aclose(self) -> None:
        await self.http.aclose()
