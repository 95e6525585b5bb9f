"""``python -m tests.fakes.outbox_runner``: one real OutboxWorker with the process settings, until killed.

Configured exactly like ``weigrid serve`` (``WEIGRID_CONFIG`` and ``WEIGRID_*``). Used by the kill -9 test.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.channels import build_adapters
from bot.db import Database
from bot.outbox_worker import OutboxWorker
from bot.settings import get_settings


async def main() -> None:
    settings = get_settings()
    db = Database(settings.database.url)
    adapters = build_adapters(settings)
    worker = OutboxWorker(db=db, settings=settings, adapters=adapters.adapters, limiter=adapters.limiter)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await worker.run(stop)
    await adapters.aclose()
    await db.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
