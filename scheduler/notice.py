"""The notice tick: config schedules loaded once per leader, then every few seconds ``run_due``.

State lives in ``notices`` and ``notice_schedules`` (``next_run_at``), so a tick after downtime finds
the missed run and starts it once. Only the process holding the scheduler lease runs this job.
"""

from __future__ import annotations

import logging

from bot.services import notice_schedule
from scheduler import runtime

logger = logging.getLogger(__name__)


async def tick() -> None:
    """Load config schedules (first tick of this leader), start due runs, fan out due notices."""
    rt = runtime()
    if not rt.extras.get("notice_schedules_loaded"):
        async with rt.db.unit_of_work() as session:
            changed = await notice_schedule.load_config_schedules(session=session, settings=rt.settings)
        rt.extras["notice_schedules_loaded"] = True
        if changed:
            logger.info("notice schedules: %s loaded or updated from config", changed)
    async with rt.db.unit_of_work() as session:
        result = await notice_schedule.run_due(session=session, settings=rt.settings)
    if result["rows"]:
        wakeup = rt.extras.get("outbox_wakeup")
        if wakeup is not None:
            wakeup.set()
        logger.info("notice tick: %s", result)
