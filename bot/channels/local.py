"""The local channel: delivery is recording. ``weigrid simulate`` reads what it delivered."""

from __future__ import annotations

import logging

from bot.channels.base import Outbound
from bot.redact import redact

logger = logging.getLogger(__name__)


class LocalAdapter:
    """Marks messages delivered and logs them (redacted). Used in local mode and in demos."""

    name = "local"

    def __init__(self) -> None:
        self.delivered: list[Outbound] = []
        self._keep = 1000

    async def send(self, item: Outbound) -> None:
        self.delivered.append(item)
        del self.delivered[: -self._keep]
        logger.info("local → %s %s: %s", item.target_kind, item.target, redact(item.body)[:200])

    async def aclose(self) -> None:
        return None
