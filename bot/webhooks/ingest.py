"""The one place a parsed inbound message is committed to the inbox before the ack."""

from __future__ import annotations

import logging
import time

from fastapi import Request

from bot.messages import IncomingMessage
from bot.services import inbox

logger = logging.getLogger(__name__)


async def store_and_ack(request: Request, msg: IncomingMessage, raw: str) -> bool:
    """Commit ``msg`` to the inbox (deduplicated) and wake the inbox worker. Returns whether it was new."""
    state = request.app.state
    started = time.perf_counter()
    async with state.db.unit_of_work(exclusive=True) as session:
        created = await inbox.accept(session=session, msg=msg, raw=raw)
    metrics = getattr(state, "metrics", None)
    if metrics is not None:
        metrics.message_received(channel=msg.channel, new=created, seconds=time.perf_counter() - started)
    if created:
        wake = getattr(state, "inbox_wakeup", None)
        if wake is not None:
            wake.set()
    else:
        logger.info("duplicate %s message %s ignored", msg.channel, msg.msg_id)
    return created
