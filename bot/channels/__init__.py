"""Outbound channel adapters: the only code that knows a platform's wire format for sending."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.channels.base import ChannelAdapter
from bot.channels.local import LocalAdapter
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
    """Every adapter this configuration enables. ``local`` is always there."""
    return Adapters(adapters={"local": LocalAdapter()})
