"""``/local/replies``: what the local channel delivered to a group, for ``weigrid simulate``.

Served only in local mode and signed like bridge requests (HMAC with ``bridge.secret`` over
``"<timestamp>.<group_id>:<after>"``), so it is no open window onto the outbox.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request

from bot.api.deps import SessionDep
from bot.services import outbox
from bot.webhooks.bridge import verify
from bot.webhooks.common import check_timestamp

router = APIRouter(prefix="/local", tags=["local"], include_in_schema=False)


@router.get("/replies")
async def replies(
    request: Request,
    session: SessionDep,
    target: Annotated[str, Query(max_length=128, description="group id, or user id for private chats")],
    after: Annotated[int, Query(ge=0)] = 0,
    latest_only: bool = False,
    x_weigrid_timestamp: Annotated[str | None, Header()] = None,
    x_weigrid_signature: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    settings = request.app.state.settings
    if settings.mode != "local":
        raise HTTPException(404, detail={"code": "not_found", "message": "local mode only"})
    check_timestamp(x_weigrid_timestamp, 300)
    verify(
        settings.secret("bridge", "secret"),
        x_weigrid_timestamp or "",
        f"{target}:{after}".encode(),
        x_weigrid_signature,
    )
    latest = await outbox.latest_id(session=session)
    if latest_only:
        return {"items": [], "latest": latest}
    rows = await outbox.sent_to(session=session, target=target, after_id=after)
    return {
        "latest": latest,
        "items": [
            {"id": r.id, "status": r.status, "channel": r.channel, "target": r.target, "body": r.body}
            for r in rows
        ],
    }
