"""``/api/notices`` and ``/api/delivery`` over the ASGI app, with the workers running (local channel)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.settings import Settings
from models.auth import TokenRole
from models.base import utcnow
from tests.conftest import make_settings
from tests.factories import eventually, make_registry, make_token


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The app's settings without quiet hours (these tests run at any hour)."""
    return make_settings(
        db_url, tmp_path / "data", notices={"quiet_hours": None}, rate_limits={"avoid_marks": None}
    )


async def _client(settings: Any) -> tuple[Any, Any]:
    app = create_app(settings)
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


BODY = {"title": "安全提示", "body": "{building}的居民请注意用电安全。", "target": {"all": True}}


async def test_create_then_follow_progress_and_receipts(client: httpx.AsyncClient, app: Any) -> None:
    db = app.state.db
    await make_registry(db, groups=4)
    token = await make_token(db)
    assert (await client.post("/api/notices", json=BODY)).status_code == 401
    viewer = await make_token(db, TokenRole.VIEWER)
    assert (await client.post("/api/notices", json=BODY, headers=auth(viewer))).status_code == 403
    resp = await client.post("/api/notices", json=BODY, headers=auth(token))
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["total"] == 4 and created["status"] == "sending"

    async def done() -> bool:
        r = await client.get(f"/api/notices/{created['id']}", headers=auth(token))
        return r.json()["sent"] == 4

    await eventually(done)
    body = (await client.get(f"/api/notices/{created['id']}", headers=auth(token))).json()
    assert {k: body[k] for k in ("total", "sent", "failed", "pending")} == {
        "total": 4,
        "sent": 4,
        "failed": 0,
        "pending": 0,
    }
    receipts = (await client.get(f"/api/notices/{created['id']}/receipts", headers=auth(token))).json()
    assert sorted(r["group_id"] for r in receipts["items"]) == [f"g{i}@chatroom" for i in range(4)]
    assert all(r["status"] == "sent" and r["channel"] == "local" for r in receipts["items"])
    listing = (await client.get("/api/notices", headers=auth(token))).json()
    assert listing["total"] == 1 and listing["items"][0]["sent"] == 4
    status = (await client.get("/api/delivery", headers=auth(token))).json()
    assert (
        status["by_status"]["sent"] >= 4 and status["bridge"]["remaining"] == status["bridge"]["daily_budget"]
    )
    assert (await client.get("/api/delivery/budget", headers=auth(token))).json()["used_today"] == 0


async def test_bad_input_is_a_clear_4xx(client: httpx.AsyncClient, app: Any) -> None:
    db = app.state.db
    await make_registry(db, groups=1)
    token = await make_token(db)
    cases = [
        ({**BODY, "target": {}}, 422, "empty_target"),
        ({**BODY, "body": "{phone} 你好"}, 422, "unknown_field"),
        ({**BODY, "cron": "every day"}, 422, "bad_cron"),
        ({**BODY, "cron": "0 0 31 2 *"}, 422, "bad_cron"),  # never fires
        ({**BODY, "send_at": "9999-12-31T23:59:59+08:00"}, 422, "too_far"),
        ({**BODY, "send_at": "2026-12-01T09:00:00"}, 422, "naive_datetime"),
        ({**BODY, "target": {"tags": ["没有"]}}, 422, "no_groups"),
        ({**BODY, "target": {"everyone": True}}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        resp = await client.post("/api/notices", json=body, headers=auth(token))
        assert resp.status_code == status and resp.json()["error"]["code"] == code, (body, resp.text)
    assert (await client.get("/api/notices/999", headers=auth(token))).status_code == 404
    assert (await client.post("/api/notices/999/cancel", headers=auth(token))).status_code == 404


async def test_approval_by_a_second_admin_and_cancel(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        db_url,
        tmp_path / "data",
        notices={"require_approval": True, "quiet_hours": None},
        rate_limits={"avoid_marks": None},
    )
    app, client = await _client(settings)
    async with app.router.lifespan_context(app), client:
        db = app.state.db
        await make_registry(db, groups=3)
        author, other = await make_token(db), await make_token(db)
        draft = (await client.post("/api/notices", json=BODY, headers=auth(author))).json()
        assert draft["status"] == "pending_approval" and draft["total"] == 0
        own = await client.post(f"/api/notices/{draft['id']}/approve", headers=auth(author))
        assert own.status_code == 403 and own.json()["error"]["code"] == "same_author"
        approved = await client.post(f"/api/notices/{draft['id']}/approve", headers=auth(other))
        assert (
            approved.status_code == 200 and approved.json()["total"] == 3 and approved.json()["approved_by"]
        )
        again = await client.post(f"/api/notices/{draft['id']}/approve", headers=auth(other))
        assert again.status_code == 409
        later = (
            await client.post(
                "/api/notices",
                json={**BODY, "send_at": (utcnow() + timedelta(days=30)).isoformat()},
                headers=auth(author),
            )
        ).json()
        cancelled = await client.post(f"/api/notices/{later['id']}/cancel", headers=auth(other))
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        recurring = (
            await client.post("/api/notices", json={**BODY, "cron": "0 9 1,16 * *"}, headers=auth(author))
        ).json()
        assert recurring["status"] == "pending_approval" and recurring["cron"] == "0 9 1,16 * *"
        ok = (await client.post(f"/api/notices/{recurring['id']}/approve", headers=auth(other))).json()
        assert ok["status"] == "recurring" and ok["next_run_at"]
        schedules = (await client.get("/api/notices/schedules", headers=auth(other))).json()
        assert [s["cron"] for s in schedules if s["enabled"]] == ["0 9 1,16 * *"]


async def test_openapi_documents_the_notice_routes(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for path in (
        "/api/notices",
        "/api/notices/{notice_id}",
        "/api/notices/{notice_id}/receipts",
        "/api/delivery/budget",
        "/api/care/stats",
    ):
        assert path in schema["paths"], path
    props = schema["components"]["schemas"]["NoticeProgress"]["properties"]
    assert {"status", "total", "sent", "failed", "pending"} <= set(props)
