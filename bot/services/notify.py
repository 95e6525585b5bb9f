"""Ticket notifications: alerts to staff (WeCom app messages) and updates to the reporter's group.

Everything goes through the outbox with a dedupe key, so a retried unit of work or a job run twice
never sends twice. Residents' phone and ID numbers are redacted in every text built here, and the
details of private categories (disputes, security, legal, health) never reach a group.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.redact import redact
from bot.services import outbox, registry
from bot.settings import Settings
from models.base import to_local
from models.outbox import TargetKind
from models.registry import Building, Channel, Group, Person
from models.ticket import Ticket

CATEGORY_NAMES = {
    "dispute": "矛盾纠纷",
    "hazard": "安全隐患",
    "security": "治安警情",
    "service": "服务请求",
    "none": "其他",
}
SUBTYPE_NAMES = {
    "sanitation": "环境卫生",
    "health": "医疗保健",
    "legal": "法律服务",
    "repair": "家庭维修",
    "assistance": "帮扶救助",
}
STATUS_NAMES = {
    "new": "已受理",
    "assigned": "已分拨",
    "accepted": "已签收",
    "in_progress": "处置中",
    "resolved": "已办结",
    "closed": "已归档",
    "returned": "已退回",
    "reopened": "重办中",
    "merged": "已合并",
    "duplicate": "重复",
}
PRIVATE_CATEGORIES = frozenset({"dispute", "security"})
PRIVATE_SUBTYPES = frozenset({"legal", "health"})
TEXT_LIMIT = 300


def kind_label(category: str, subtype: str | None) -> str:
    """ "服务请求·家庭维修" or "安全隐患"."""
    label = CATEGORY_NAMES.get(category, category)
    if subtype:
        label += "·" + SUBTYPE_NAMES.get(subtype, subtype)
    return label


def is_private(ticket: Ticket) -> bool:
    """Whether a group may see only the number and state of this ticket (纠纷, 治安, 法律, 健康)."""
    return ticket.category in PRIVATE_CATEGORIES or (ticket.subtype or "") in PRIVATE_SUBTYPES


def local_time(value: datetime | None) -> str:
    """A UTC time as people read it: ``11-28 14:30`` in Asia/Shanghai."""
    return to_local(value).strftime("%m-%d %H:%M") if value is not None else "—"


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = redact(text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def console_link(settings: Settings, number: int) -> str:
    return f"{settings.server.public_url.rstrip('/')}/console/tickets/{number}"


async def place(session: AsyncSession, ticket: Ticket) -> str:
    """ "3栋 · 3栋楼栋群" for a ticket's group (or "私聊上报" without one)."""
    if not ticket.group_id:
        return "私聊上报"
    group = await session.get(Group, ticket.group_id)  # identity-map cached, unlike registry.get_group
    if group is None:
        return ticket.group_id
    building = await session.get(Building, group.building_id) if group.building_id is not None else None
    return " · ".join(p for p in (building.name if building else "", group.name or group.group_id) if p)


async def person_name(session: AsyncSession, person_id: str | None) -> str:
    if not person_id:
        return ""
    person = await session.get(Person, person_id)
    return (person.name or person_id) if person is not None else person_id


async def alert_text(
    *, session: AsyncSession, settings: Settings, ticket: Ticket, headline: str, hint: str | None = None
) -> str:
    """The staff alert: number, category, place, redacted text, deadline, console link."""
    urgent = "【紧急】" if ticket.urgent else ""
    due_label, due = ("签收时限", ticket.accept_due_at)
    if ticket.status in ("accepted", "in_progress"):
        due_label, due = ("办结时限", ticket.resolve_due_at)
    lines = [
        f"{urgent}{headline} 工单 #{ticket.number}",
        f"类别：{kind_label(ticket.category, ticket.subtype)}",
        f"位置：{await place(session, ticket)}",
        f"内容：{clip(ticket.text)}",
    ]
    if ticket.report_count > 1:
        lines.append(f"反映人数：{ticket.report_count}")
    lines.append(f"{due_label}：{local_time(due)}（北京时间）")
    lines.append(hint or f"回复“接单 #{ticket.number}”签收")
    lines.append(f"详情：{console_link(settings, ticket.number)}")
    return "\n".join(lines)


async def alert(
    *,
    session: AsyncSession,
    settings: Settings,
    ticket: Ticket,
    people: list[str],
    key: str,
    headline: str,
    hint: str | None = None,
) -> int:
    """Send one staff alert per person (WeCom app message). Returns how many rows were added."""
    if not people:
        return 0
    text = await alert_text(session=session, settings=settings, ticket=ticket, headline=headline, hint=hint)
    added = 0
    for person_id in dict.fromkeys(people):
        user_id = await registry.user_id_for(
            session=session, person_id=person_id, channel=Channel.WECOM.value
        )
        added += await outbox.to_user(
            session=session,
            settings=settings,
            user_id=user_id,
            text=text,
            dedupe_key=f"{key}:{person_id}",
            priority=outbox.URGENT if ticket.urgent else outbox.NORMAL,
            ticket_id=ticket.number,
        )
    return added


async def to_reporters_place(
    *,
    session: AsyncSession,
    settings: Settings,
    ticket: Ticket,
    text: str,
    key: str,
    mention_reporter: bool = False,
    priority: int = outbox.NORMAL,
) -> bool:
    """Post into the ticket's group, or privately to the reporter when it was reported in private."""
    group = (
        await session.get(Group, ticket.group_id) if ticket.group_id and not ticket.private_report else None
    )
    if group is None:
        return await outbox.enqueue(
            session=session,
            settings=settings,
            dedupe_key=key,
            channel=ticket.channel,
            target_kind=TargetKind.USER,
            target=ticket.reporter_id,
            body=text,
            priority=priority,
            ticket_id=ticket.number,
        )
    return await outbox.enqueue(
        session=session,
        settings=settings,
        dedupe_key=key,
        channel=group.channel,
        target_kind=TargetKind.GROUP,
        target=group.group_id,
        group_id=group.group_id,
        body=text,
        mentions=[ticket.reporter_id] if mention_reporter else [],
        priority=priority,
        ticket_id=ticket.number,
    )


def group_update_text(ticket: Ticket, *, who: str = "", note: str | None = None) -> str:
    """A state change as the group sees it; private categories show only the number and state."""
    state = STATUS_NAMES.get(ticket.status, ticket.status)
    if is_private(ticket):
        return f"工单 #{ticket.number} 状态：{state}。"
    if ticket.status == "accepted":
        return f"工单 #{ticket.number}（{kind_label(ticket.category, ticket.subtype)}）已由{who or '工作人员'}签收，正在处理。"
    if ticket.status == "resolved":
        detail = f"：{clip(note, 120)}" if note else "。"
        return f"工单 #{ticket.number}（{kind_label(ticket.category, ticket.subtype)}）已办结{detail}"
    if ticket.status == "reopened":
        return f"工单 #{ticket.number} 已重新交办处理。"
    return f"工单 #{ticket.number} 状态：{state}。"


def feedback_prompt(ticket: Ticket) -> str:
    return (
        f"请评价工单 #{ticket.number} 的处理结果：回复“满意 #{ticket.number}”"
        f"或“不满意 #{ticket.number} 原因”。3天未评价将自动归档。"
    )


async def announce(
    *, session: AsyncSession, settings: Settings, ticket: Ticket, action: str, actor_id: str, note: str | None
) -> None:
    """Queue what a workflow change means for the group and for staff (each with its own dedupe key)."""
    n, cycle = ticket.number, ticket.sla_cycle
    if action == "accept":
        who = await person_name(session, actor_id)
        text = group_update_text(ticket, who=who)
        await to_reporters_place(
            session=session, settings=settings, ticket=ticket, text=text, key=f"grp:{n}:accepted:{cycle}"
        )
    elif action == "resolve":
        text = group_update_text(ticket, note=note) + "\n" + feedback_prompt(ticket)
        await to_reporters_place(
            session=session,
            settings=settings,
            ticket=ticket,
            text=text,
            key=f"grp:{n}:resolved:{cycle}",
            mention_reporter=True,
        )
    elif action in ("reopen", "unsatisfied"):
        text = group_update_text(ticket)
        await to_reporters_place(
            session=session, settings=settings, ticket=ticket, text=text, key=f"grp:{n}:reopened:{cycle}"
        )
        hint = f"原因：{clip(note, 100)}\n回复“接单 #{n}”签收" if note else None
        await alert(
            session=session,
            settings=settings,
            ticket=ticket,
            people=[p for p in [ticket.assignee_id] if p],
            key=f"alert:{n}:{cycle}",
            headline="重办",
            hint=hint,
        )
    elif action == "return" and ticket.assignee_id:
        await alert(
            session=session,
            settings=settings,
            ticket=ticket,
            people=[ticket.assignee_id],
            key=f"alert:{n}:{cycle}",
            headline="退单待重新分拨",
            hint=f"退回原因：{clip(note or '', 100)}\n回复“转派 #{n} 对象”重新分拨",
        )
    elif action == "reassign" and ticket.assignee_id:
        await alert(
            session=session,
            settings=settings,
            ticket=ticket,
            people=[ticket.assignee_id],
            key=f"alert:{n}:{cycle}",
            headline="转派工单",
        )
