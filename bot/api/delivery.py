"""``/api/delivery``: the outbox's state and the bridge account's remaining daily budget."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from bot.api.deps import SessionDep, SettingsDep, Staff
from bot.services import delivery

router = APIRouter(prefix="/api/delivery", tags=["delivery"])


class BridgeBudget(BaseModel):
    daily_budget: int
    used_today: int
    remaining: int
    min_interval_s: float
    jitter_s: float
    resets_at: datetime


class DeliveryStatus(BaseModel):
    by_status: dict[str, int]
    by_channel: dict[str, dict[str, int]]
    oldest_pending_s: float
    bridge: BridgeBudget


@router.get("/budget", response_model=BridgeBudget)
async def budget(session: SessionDep, settings: SettingsDep, principal: Staff) -> BridgeBudget:
    """The bridge (personal WeChat) account's budget for today, counted from the rows sent since midnight."""
    return BridgeBudget(**await delivery.bridge_budget(session=session, settings=settings))


@router.get("", response_model=DeliveryStatus)
async def status(session: SessionDep, settings: SettingsDep, principal: Staff) -> DeliveryStatus:
    """Outbox rows by status and channel, the oldest pending row's age, and the bridge budget."""
    data = await delivery.outbox_status(session=session)
    bridge = BridgeBudget(**await delivery.bridge_budget(session=session, settings=settings))
    return DeliveryStatus(**data, bridge=bridge)
