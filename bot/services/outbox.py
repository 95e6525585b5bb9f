"""Enqueueing outbound messages. Only the outbox worker sends; everything else writes rows here."""

from __future__ import annotations

import logging

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import IncomingMessage
from bot.services.dialect import insert_ignore
from bot.settings import Settings
from models.base import utcnow
from models.outbox import OutboxMessage, OutboxStatus, TargetKind
from models.registry import Channel, Group

logger = logging.getLogger(__name__)

URGENT = 0
NORMAL = 5
BULK = 8


def channel_configured(settings: Settings, channel: str) -> bool:
    """Whether an outbound adapter for ``channel`` has what it needs to talk to its platform."""
    if channel == Channel.WECOM.value:
        return settings.wecom.enabled and settings.wecom.agent_id is not None
    if channel == Channel.WECOM_BOT.value:
        return settings.wecom_bot.enabled
    if channel == Channel.BRIDGE.value:
        return settings.bridge.enabled and bool(settings.bridge.send_url)
    return channel == Channel.LOCAL.value


def resolve_channel(settings: Settings, channel: str) -> str:
    """The channel a row will actually go out on: in local mode, unconfigured platforms go to ``local``."""
    if settings.mode == "local" and not channel_configured(settings, channel):
        return Channel.LOCAL.value
    return channel


async def enqueue(
    *,
    session: AsyncSession,
    settings: Settings,
    dedupe_key: str,
    channel: str,
    target_kind: TargetKind,
    target: str,
    body: str,
    group_id: str | None = None,
    msgtype: str = "text",
    mentions: list[str] | None = None,
    reply_url: str | None = None,
    priority: int = NORMAL,
    notice_id: int | None = None,
    ticket_id: int | None = None,
) -> bool:
    """Add one outbound row unless ``dedupe_key`` exists. Returns whether a row was added."""
    result = await session.execute(
        insert_ignore(session, OutboxMessage.__table__)
        .values(
            dedupe_key=dedupe_key[:200],
            channel=resolve_channel(settings, channel),
            target_kind=target_kind.value,
            target=target,
            group_id=group_id,
            msgtype=msgtype,
            body=body,
            mentions=mentions or [],
            reply_url=reply_url,
            priority=priority,
            notice_id=notice_id,
            ticket_id=ticket_id,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
        # RETURNING, not rowcount: PostgreSQL drivers report -1 for INSERT ... ON CONFLICT DO NOTHING.
        .returning(OutboxMessage.__table__.c.id)
    )
    return result.first() is not None


async def reply(
    *,
    session: AsyncSession,
    settings: Settings,
    msg: IncomingMessage,
    text: str,
    key: str = "reply",
    priority: int = NORMAL,
    mention_sender: bool = False,
    ticket_id: int | None = None,
) -> bool:
    """Answer a message where it came from: its group (through the group's channel) or the private chat.

    A robot message's ``response_url`` is used when present; the worker falls back to the group's own
    channel when it has expired.
    """
    dedupe_key = f"{key}:{msg.channel}:{msg.msg_id}"
    mentions = [msg.sender_id] if mention_sender else []
    if msg.group_id is None:
        return await enqueue(
            session=session,
            settings=settings,
            dedupe_key=dedupe_key,
            channel=msg.channel,
            target_kind=TargetKind.USER,
            target=msg.sender_id,
            body=text,
            priority=priority,
            ticket_id=ticket_id,
        )
    group = await session.get(Group, msg.group_id)
    channel = group.channel if group is not None else msg.channel
    kind = TargetKind.REPLY if msg.reply_url else TargetKind.GROUP
    return await enqueue(
        session=session,
        settings=settings,
        dedupe_key=dedupe_key,
        channel=msg.channel if msg.reply_url else channel,
        target_kind=kind,
        target=msg.group_id,
        group_id=msg.group_id,
        body=text,
        mentions=mentions,
        reply_url=msg.reply_url,
        priority=priority,
        ticket_id=ticket_id,
    )


async def to_group(
    *,
    session: AsyncSession,
    settings: Settings,
    group: Group,
    text: str,
    dedupe_key: str,
    priority: int = NORMAL,
    msgtype: str = "text",
    notice_id: int | None = None,
    ticket_id: int | None = None,
) -> bool:
    """Post into a building group through its registered channel."""
    return await enqueue(
        session=session,
        settings=settings,
        dedupe_key=dedupe_key,
        channel=group.channel,
        target_kind=TargetKind.GROUP,
        target=group.group_id,
        group_id=group.group_id,
        body=text,
        msgtype=msgtype,
        priority=priority,
        notice_id=notice_id,
        ticket_id=ticket_id,
    )


async def to_user(
    *,
    session: AsyncSession,
    settings: Settings,
    user_id: str,
    text: str,
    dedupe_key: str,
    msgtype: str = "text",
    priority: int = NORMAL,
    ticket_id: int | None = None,
) -> bool:
    """A WeCom app message (``message/send``) to one person, e.g. an alert to a grid member."""
    return await enqueue(
        session=session,
        settings=settings,
        dedupe_key=dedupe_key,
        channel=Channel.WECOM.value,
        target_kind=TargetKind.USER,
        target=user_id,
        body=text,
        msgtype=msgtype,
        priority=priority,
        ticket_id=ticket_id,
    )


async def sent_to(
    *, session: AsyncSession, target: str, after_id: int = 0, limit: int = 50
) -> list[OutboxMessage]:
    """Rows for a group (or a private chat with ``target``) after ``after_id``, oldest first."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(
            or_(OutboxMessage.group_id == target, OutboxMessage.target == target), OutboxMessage.id > after_id
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(rows.all())


async def latest_id(*, session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(OutboxMessage.id))) or 0)
