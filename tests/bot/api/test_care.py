"""``/api/care``: pairings CRUD, CSV import, stats."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import make_registry, make_token

CSV = (
    "household_id,name,kind,group_id,birth_date,address,volunteer_id\n"
    "A101,张奶奶,elderly_alone,g0@chatroom,1940-12-03,1栋101,lead-assistance\n"
)


async def test_import_pairings_and_stats(client: httpx.AsyncClient, app: Any) -> None:
    db = app.state.db
    await make_registry(db, groups=1)
    h = {"Authorization": f"Bearer {await make_token(db)}"}
    files = {"file": ("care.csv", CSV.encode("utf-8-sig"), "text/csv")}
    resp = await client.post("/api/care/households/import", files=files, headers=h)
    assert resp.status_code == 200 and resp.json() == {"rows": 1, "households_added": 1, "pairings_added": 1}
    bad = {"file": ("bad.csv", b"household_id,name\nA1,x\n", "text/csv")}
    resp = await client.post("/api/care/households/import", files=bad, headers=h)
    assert resp.status_code == 422 and "bad.csv:1" in resp.json()["error"]["message"]
    pairings = (await client.get("/api/care/pairings", headers=h)).json()
    assert [(p["volunteer_id"], p["household_code"]) for p in pairings] == [("lead-assistance", "A101")]
    assert pairings[0]["cadences"] == ["visit", "chores", "problem", "birthday"]
    made = await client.post(
        "/api/care/pairings",
        json={"volunteer_id": "lead-health", "household_code": "a101", "cadences": ["visit"]},
        headers=h,
    )
    assert made.status_code == 201 and made.json()["cadences"] == ["visit"]
    missing = await client.post(
        "/api/care/pairings", json={"volunteer_id": "nobody", "household_code": "A101"}, headers=h
    )
    assert missing.status_code == 404
    gone = await client.delete(f"/api/care/pairings/{made.json()['id']}", headers=h)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert (await client.delete(f"/api/care/pairings/{made.json()['id']}", headers=h)).status_code == 404
    stats = (await client.get("/api/care/stats", headers=h)).json()
    assert stats["total"] == 0 and stats["by_household"] == []
    assert (await client.get("/api/care/stats?since=2026-11-01T00:00:00", headers=h)).status_code == 422
