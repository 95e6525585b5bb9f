"""Every admin action through the API leaves an audit row: notices, outages and care pairings too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from models.audit import AuditLog
from models.base import utcnow
from tests.factories import make_registry, make_token


async def test_notice_outage_and_cancel_actions_are_audited(client: httpx.AsyncClient, app: Any) -> None:
    await make_registry(app.state.db, groups=2)
    headers = {"Authorization": f"Bearer {await make_token(app.state.db)}"}
    created = await client.post(
        "/api/notices",
        headers=headers,
        json={"title": "安全提示", "body": "请检查燃气阀门。", "target": {"all": True}, "urgent": True},
    )
    assert created.status_code == 201, created.text
    notice_id = created.json()["id"]
    cancelled = await client.post(f"/api/notices/{notice_id}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    now = utcnow()
    outage = await client.post(
        "/api/inhibitions",
        headers=headers,
        json={
            "kind": "停水",
            "scope_kind": "all",
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "notice": "今天9:00-11:00停水检修",
        },
    )
    assert outage.status_code == 201, outage.text
    gone = await client.delete(f"/api/inhibitions/{outage.json()['id']}", headers=headers)
    assert gone.status_code == 204
    async with app.state.db.session() as s:
        rows = (await s.scalars(select(AuditLog).order_by(AuditLog.id))).all()
    actions = [(r.action, r.target) for r in rows]
    assert ("notice.create", f"notice:{notice_id}") in actions
    assert ("notice.cancel", f"notice:{notice_id}") in actions
    assert ("inhibition.create", f"inhibition:{outage.json()['id']}") in actions
    assert ("inhibition.cancel", f"inhibition:{outage.json()['id']}") in actions
    create_row = next(r for r in rows if r.action == "notice.create")
    assert create_row.after["title"] == "安全提示"
    assert create_row.actor and create_row.role == "admin"


async def test_refused_actions_leave_no_audit_row(client: httpx.AsyncClient, app: Any) -> None:
    headers = {"Authorization": f"Bearer {await make_token(app.state.db)}"}
    missing = await client.post("/api/notices/999999/cancel", headers=headers)
    assert missing.status_code == 404
    async with app.state.db.session() as s:
        assert (await s.scalars(select(AuditLog))).first() is None
