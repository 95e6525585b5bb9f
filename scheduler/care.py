"""The care tick: remind volunteers before a visit is due, report overdue ones to the grid member."""

from __future__ import annotations

import logging

from scheduler import runtime

logger = logging.getLogger(__name__)


async def tick() -> None:
    """Create this period's due rows, send reminders that are due, report overdue visits."""
    import bot.services.care as care_service

    rt = runtime()
    async with rt.db.unit_of_work() as session:
        result = await care_service.run_due(session=session, settings=rt.settings)
    if any(result.values()):
        logger.info("care tick: %s", result)
