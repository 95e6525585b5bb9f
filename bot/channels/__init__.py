"""Outbound channel adapters: the only code that knows a platform's wire format for sending."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import ChannelAdapter
from bot.channels.local import LocalAdapter
from bot.channels.ratelimit import build_limiter
from bot.settings import Settings


@dataclass
class Adapters:
    """The adapters of one process, by channel name, and the limiter that paces them."""

    adapters: dict[str, ChannelAdapter] = field(default_factory=dict)
    limiter: Any = None

    async def aclose(self) -> None:
        for adapter in self.adapters.values():
            await adapter.aclose()


def build_adapters(settings: Settings) -> Adapters:
    """Every adapter this configuration enables. ``local`` is always there.

    * ``wecom`` (message/send + appchat/send) when ``wecom.enabled`` with an agent id and a corp secret;
    * ``wecom_bot`` (group robot webhooks + response_url) when ``wecom_bot.enabled``;
    * ``bridge`` when ``bridge.enabled`` with a ``send_url``.
    """
    adapters: dict[str, ChannelAdapter] = {"local": LocalAdapter()}
    timeout = settings.wecom.timeout_s
    if (
        settings.wecom.enabled
        and settings.wecom.agent_id is not None
        and settings.secret("wecom", "corp_secret")
    ):
        from bot.channels.wecom import WeComAdapter, WeComClient

        client = WeComClient(
            api_base=settings.wecom.api_base,
            corp_id=settings.wecom.corp_id,
            secret=settings.secret("wecom", "corp_secret"),
            timeout_s=timeout,
        )
        adapters["wecom"] = WeComAdapter(client, agent_id=settings.wecom.agent_id)
    if settings.wecom_bot.enabled:
        from bot.channels.robot import RobotAdapter

        adapters["wecom_bot"] = RobotAdapter(api_base=settings.wecom.api_base, timeout_s=timeout)
    if settings.bridge.enabled and settings.bridge.send_url:
        from bot.channels.bridge import BridgeAdapter

        adapters["bridge"] = BridgeAdapter(
            send_url=settings.bridge.send_url, secret=settings.secret("bridge", "secret"), timeout_s=timeout
        )
    return Adapters(adapters=adapters, limiter=build_limiter(settings))
