"""``/api/stats``: the seed's counters, rates, medians, per-grid tables, CSV, scope and bad input."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update

from bot.settings import Settings
from models.auth import TokenRole
from models.ticket import Ticket
from tests.bot.api.conftest import GAS, bearer, report, say
from tests.factories import make_token


async def test_period_figures(
    app: Any, client: httpx.AsyncClient, settings: Settings, registry: dict[str, Any], admin_token: str
) -> None:
    g = registry["groups"]
    dispute = await report(
        app, client, settings, group=g[0], text="楼上302天天半夜装修噪音太吵了，沟通多次没用"
    )
    gas = await report(app, client, settings, group=g[1], text=GAS)
    repair = await report(app, client, settings, group=g[2], text="家里水管爆了需要师傅来修")
    await say(app, client, settings, group=g[3], text="建议社区在小区门口多装几个路灯")
    h = bearer(admin_token)
    for n in (dispute.number, gas.number):
        assert (
            await client.post(f"/api/tickets/{n}/transitions", json={"action": "accept"}, headers=h)
        ).status_code == 200
    r = await client.post(
        f"/api/tickets/{dispute.number}/transitions", json={"action": "resolve", "note": "已调解"}, headers=h
    )
    assert r.status_code == 200
    async with app.state.db.unit_of_work() as s:
        await s.execute(update(Ticket).where(Ticket.number == dispute.number).values(satisfied=True))
        # the repair ticket's accept deadline has passed without anyone accepting it
        made = repair.created_at - timedelta(hours=1)
        await s.execute(
            update(Ticket)
            .where(Ticket.number == repair.number)
            .values(
                created_at=made,
                accept_due_at=made + timedelta(minutes=1),
                accepted_at=None,
                sla_started_at=made,
            )
        )
    body = (await client.get("/api/stats", headers=h)).json()
    for key in (
        "messages_received",
        "messages_processed",
        "inbox_pending",
        "unknown_group_messages",
        "tickets_total",
        "tickets_by_category",
        "tickets_by_status",
    ):
        assert key in body
    p = body["period"]
    assert p["consultations"] == p["tickets_by_category"].get("service", 0) >= 1
    assert p["tickets_by_subtype"].get("repair") == 1
    assert p["suggestions"] >= 1
    assert p["disputes_resolved"] == 1
    assert p["response_rate"] == round(
        2 / 3, 4
    )  # two accepted in time, the repair ticket missed its deadline
    assert p["satisfaction_rate"] == 1.0
    assert p["resolution_rate"] == round(1 / p["tickets"], 4)
    assert p["median_minutes_to_accept"] is not None and p["median_minutes_to_accept"] < 5
    assert sum(row["tickets"] for row in p["per_grid"]) == p["tickets"]
    assert sum(row["tickets"] for row in p["per_building"]) == p["tickets"]
    assert (
        p["per_day"]
        and sum(sum(v for k, v in d.items() if k != "date") for d in p["per_day"]) == p["tickets"]
    )
    assert body["sla_status"]["breached"] >= 1

    exported = await client.get("/api/stats.csv", headers=h)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert ["disputes_resolved", "1"] in rows
    assert any(r and r[0] == "grid" for r in rows) and any(r and r[0] == "building" for r in rows)
    same = await client.get("/api/stats", params={"format": "csv"}, headers=h)
    assert same.text == exported.text


async def test_scope_and_bad_input(
    app: Any, client: httpx.AsyncClient, registry: dict[str, Any], admin_token: str
) -> None:
    h = bearer(admin_token)
    assert (await client.get("/api/stats", params={"from": "2026-02-30"}, headers=h)).status_code == 422
    backwards = await client.get("/api/stats", params={"from": "2026-05-02", "to": "2026-05-01"}, headers=h)
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "bad_period"
    assert (await client.get("/api/stats", params={"grid": "0"}, headers=h)).status_code == 422
    year = await client.get("/api/stats", params={"from": "2025-01-01", "to": "2025-12-31"}, headers=h)
    assert year.status_code == 200 and len(year.json()["period"]["per_day"]) == 365
    member = await make_token(app.state.db, TokenRole.GRID_MEMBER, grid_id=1)
    assert (await client.get("/api/stats", params={"grid": 2}, headers=bearer(member))).status_code == 403
    assert (await client.get("/api/stats", headers=bearer(member))).status_code == 200
    assert (await client.get("/api/stats")).status_code == 401
