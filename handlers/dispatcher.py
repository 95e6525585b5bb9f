"""The dispatcher: runs handlers in priority order; the first that handles a message stops the chain."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.messages import IncomingMessage
from handlers.base import Context, Handler

logger = logging.getLogger(__name__)


class Dispatcher:
    """Holds the ordered handler list built by ``handlers.build_dispatcher``."""

    def __init__(self, handlers: Sequence[Handler]) -> None:
        names = [h.name for h in handlers]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate handler names: {names}")
        self.handlers = tuple(handlers)

    async def dispatch(self, msg: IncomingMessage, ctx: Context) -> str | None:
        """Offer ``msg`` to each handler in order. Returns the name of the one that handled it."""
        for handler in self.handlers:
            if not handler.check(msg, ctx):
                continue
            if await handler.handle(msg, ctx):
                logger.debug("message %s:%s handled by %s", msg.channel, msg.msg_id, handler.name)
                return handler.name
        return None
