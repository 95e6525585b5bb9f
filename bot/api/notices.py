"""``/api/notices``: create, list, progress, receipts, approve, cancel. Thin over bot.services.notice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from bot.api.audit import audit
from bot.api.deps import Admin, SessionDep, SettingsDep, Staff
from bot.services import notice as notices
from models.notice import (
    Notice,
    NoticeCreate,
    NoticeProgress,
    NoticeRead,
    NoticeReceipt,
    NoticeSchedule,
    NoticeStatus,
    ScheduleRead,
)

router = APIRouter(prefix="/api/notices", tags=["notices"])


class NoticePage(BaseModel):
    items: list[NoticeProgress]
    total: int
    limit: int
    offset: int


class ReceiptPage(BaseModel):
    notice_id: int
    items: list[NoticeReceipt]
    limit: int
    offset: int


def _error(exc: notices.NoticeError) -> HTTPException:
    return HTTPException(exc.status, detail={"code": exc.code, "message": exc.message})


def _wake(request: Request) -> None:
    wakeup = getattr(request.app.state, "outbox_wakeup", None)
    if wakeup is not None:
        wakeup.set()


async def _progress(session: Any, notice: Notice) -> NoticeProgress:
    data = NoticeRead.model_validate(notice).model_dump()
    data.update(await notices.progress(session=session, notice=notice))
    if notice.schedule_id is not None and notice.status in (
        NoticeStatus.RECURRING.value,
        NoticeStatus.PENDING_APPROVAL.value,
    ):
        schedule = await session.get(NoticeSchedule, notice.schedule_id)
        if schedule is not None:
            data.update(cron=schedule.cron, next_run_at=schedule.next_run_at if schedule.enabled else None)
    return NoticeProgress(**data)


@router.post("", response_model=NoticeProgress, status_code=201)
async def create_notice(
    body: NoticeCreate, request: Request, session: SessionDep, settings: SettingsDep, principal: Admin
) -> NoticeProgress:
    """Create a notice. Due now and no approval needed: it is fanned out to every target group at once.

    With ``send_at`` it waits until then; with ``cron`` it becomes a recurring schedule (status
    ``recurring``). With ``notices.require_approval`` it waits as ``pending_approval`` for a second admin.
    Non-urgent notices due in quiet hours wait until they end.
    """
    try:
        notice = await notices.create_notice(
            session=session, settings=settings, data=body, author_id=principal.actor_id
        )
    except notices.NoticeError as exc:
        raise _error(exc) from None
    result = await _progress(session, notice)
    audit(
        request,
        session,
        principal,
        action="notice.create",
        target=f"notice:{notice.id}",
        after=body.model_dump(mode="json"),
    )
    await session.commit()
    _wake(request)
    return result


@router.get("", response_model=NoticePage)
async def list_notices(
    session: SessionDep,
    principal: Staff,
    status: Annotated[NoticeStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> NoticePage:
    """Notices, newest first, each with its delivery counts."""
    rows, total = await notices.list_notices(
        session=session, status=status.value if status else None, limit=limit, offset=offset
    )
    counts = await notices.counts(session=session, notice_ids=[n.id for n in rows])
    items = []
    for n in rows:
        c = counts[n.id]
        items.append(
            NoticeProgress(
                **NoticeRead.model_validate(n).model_dump(),
                sent=c["sent"],
                failed=c["failed"] + c["ambiguous"],
                pending=c["pending"],
                ambiguous=c["ambiguous"],
                cancelled=c["cancelled"],
            )
        )
    return NoticePage(items=items, total=total, limit=limit, offset=offset)


@router.get("/schedules", response_model=list[ScheduleRead])
async def list_schedules(session: SessionDep, principal: Staff) -> list[ScheduleRead]:
    """Recurring schedules (from config.yaml and from notices created with ``cron``)."""
    from sqlalchemy import select

    rows = await session.scalars(select(NoticeSchedule).order_by(NoticeSchedule.id))
    return [ScheduleRead.model_validate(r) for r in rows.all()]


@router.get("/{notice_id}", response_model=NoticeProgress)
async def get_notice(notice_id: int, session: SessionDep, principal: Staff) -> NoticeProgress:
    """One notice with ``status``, ``total``, ``sent``, ``failed``, ``pending`` (and ``ambiguous``, ``cancelled``)."""
    try:
        notice = await notices.get_notice(session=session, notice_id=notice_id)
    except notices.NoticeError as exc:
        raise _error(exc) from None
    return await _progress(session, notice)


@router.get("/{notice_id}/receipts", response_model=ReceiptPage)
async def get_receipts(
    notice_id: int,
    session: SessionDep,
    principal: Staff,
    status: Annotated[str | None, Query(pattern="^(pending|sent|failed|ambiguous|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ReceiptPage:
    """Per-group delivery of a notice: channel, status, attempts, sent_at and the platform's reason."""
    try:
        await notices.get_notice(session=session, notice_id=notice_id)
    except notices.NoticeError as exc:
        raise _error(exc) from None
    rows = await notices.receipts(
        session=session, notice_id=notice_id, status=status, limit=limit, offset=offset
    )
    return ReceiptPage(
        notice_id=notice_id, items=[NoticeReceipt(**r) for r in rows], limit=limit, offset=offset
    )


@router.post("/{notice_id}/approve", response_model=NoticeProgress)
async def approve_notice(
    notice_id: int, request: Request, session: SessionDep, settings: SettingsDep, principal: Admin
) -> NoticeProgress:
    """A second admin (not the author) approves a draft; it is sent when due."""
    try:
        notice = await notices.approve(
            session=session, settings=settings, notice_id=notice_id, approver_id=principal.actor_id
        )
    except notices.NoticeError as exc:
        raise _error(exc) from None
    result = await _progress(session, notice)
    audit(
        request,
        session,
        principal,
        action="notice.approve",
        target=f"notice:{notice_id}",
        after={"status": result.status},
    )
    await session.commit()
    _wake(request)
    return result


@router.post("/{notice_id}/cancel", response_model=NoticeProgress)
async def cancel_notice(
    notice_id: int, request: Request, session: SessionDep, principal: Admin
) -> NoticeProgress:
    """Stop a notice: unsent rows are cancelled, a recurring schedule is disabled."""
    try:
        notice = await notices.cancel(session=session, notice_id=notice_id, actor_id=principal.actor_id)
    except notices.NoticeError as exc:
        raise _error(exc) from None
    result = await _progress(session, notice)
    audit(
        request,
        session,
        principal,
        action="notice.cancel",
        target=f"notice:{notice_id}",
        after={"status": result.status},
    )
    await session.commit()
    return result
