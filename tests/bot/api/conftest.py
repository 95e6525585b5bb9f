"""Helpers for the API and console tests: tokens, reports through the real webhook, console logins."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.settings import Settings
from bot.simulator import bridge_request
from models.auth import TokenRole
from models.ticket import Ticket
from tests.factories import eventually, make_registry, make_token

GAS = "楼道里闻到很浓的煤气味"


async def report(
    app: Any,
    client: httpx.AsyncClient,
    settings: Settings,
    *,
    group: str,
    text: str,
    sender: str = "wxid_res",
) -> Ticket:
    """Post a signed bridge message and wait for the ticket it opens."""
    req = bridge_request(settings, group_id=group, sender=sender, text=text)
    assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200
    found: list[Ticket] = []

    async def opened() -> bool:
        async with app.state.db.session() as s:
            row = await s.scalar(select(Ticket).where(Ticket.text == text, Ticket.group_id == group))
        if row is not None:
            found.append(row)
        return row is not None

    await eventually(opened)
    return found[0]


async def say(app: Any, client: httpx.AsyncClient, settings: Settings, *, group: str, text: str) -> None:
    """Post a signed bridge message and wait until the inbox has processed it."""
    from models.inbox import InboxMessage

    req = bridge_request(settings, group_id=group, sender="wxid_res", text=text)
    assert (await client.post(req.path, headers=req.headers, content=req.content)).status_code == 200

    async def processed() -> bool:
        async with app.state.db.session() as s:
            row = await s.scalar(select(InboxMessage).where(InboxMessage.text == text))
        return row is not None and row.status != "pending"

    await eventually(processed)


async def console_login(client: httpx.AsyncClient, token: str) -> str:
    """Sign in through the console form; returns the page's CSRF token."""
    response = await client.post("/console/login", data={"token": token})
    assert response.status_code == 303, response.text
    page = await client.get("/console/")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


@pytest.fixture
async def registry(app: Any) -> dict[str, Any]:
    return await make_registry(app.state.db, groups=4, grids=2)


@pytest.fixture
async def admin_token(app: Any, registry: dict[str, Any]) -> str:
    return await make_token(app.state.db, TokenRole.ADMIN)


@pytest.fixture
async def viewer_token(app: Any, registry: dict[str, Any]) -> str:
    return await make_token(app.state.db, TokenRole.VIEWER)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
