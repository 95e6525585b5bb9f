"""Console routes, one module per area; ``router`` collects them under ``/console``."""

from __future__ import annotations

from fastapi import APIRouter

from bot.console.pages import core, notices, operations, registry, tickets

router = APIRouter(prefix="/console", include_in_schema=False)
for module in (core, tickets, registry, notices, operations):
    router.include_router(module.router)
