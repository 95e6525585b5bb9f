"""The one list of scheduled jobs. Each domain's jobs live in scheduler/<domain>.py.

``register_jobs`` is idempotent: jobs are added with fixed ids and ``replace_existing=True``. The jobs
are tickers over state kept in our own tables, so running one late (after downtime) does the missed
work once.
"""

from __future__ import annotations

from typing import Any

from bot.settings import Settings

# (job id, "module:function", trigger, trigger arguments)
JOBS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("notice_tick", "scheduler.notice:tick", "interval", {"seconds": 5}),
    ("care_tick", "scheduler.care:tick", "interval", {"minutes": 5}),
    ("ticket_sla", "scheduler.ticket:sla_job", "interval", {"seconds": 30}),
    ("ticket_feedback", "scheduler.ticket:feedback_job", "interval", {"minutes": 10}),
]


def register_jobs(sched: Any, settings: Settings) -> None:
    """Add every job in ``JOBS`` (plus the domain schedules that read settings) to ``sched``."""
    for job_id, func, trigger, args in JOBS:
        sched.add_job(func, trigger, id=job_id, replace_existing=True, **args)
