"""``/metrics``: process counters plus gauges refreshed from the database on each scrape."""

from __future__ import annotations

from typing import Any

import httpx

from bot.settings import Settings
from tests.bot.api.conftest import GAS, report


async def test_metrics_expose_queues_tickets_and_latency(
    app: Any, client: httpx.AsyncClient, settings: Settings, registry: dict[str, Any]
) -> None:
    await report(app, client, settings, group=registry["groups"][0], text=GAS)
    text = (await client.get("/metrics")).text
    assert 'weigrid_messages_received_total{channel="bridge"} 1.0' in text
    assert "weigrid_webhook_store_seconds_bucket" in text
    assert 'weigrid_tickets{category="hazard",status=' in text
    assert 'weigrid_queue_depth{queue="inbox",status=' in text
    assert 'weigrid_queue_depth{queue="outbox",status=' in text
    assert "weigrid_tickets_overdue 0.0" in text
    assert "weigrid_sla_escalations" in text
