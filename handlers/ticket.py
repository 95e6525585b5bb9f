"""Ticket commands in chat (a group, or a private chat with the app):

``接单 #N`` · ``进展 #N 说明`` · ``办结 #N 说明`` · ``退回 #N 原因`` · ``转派 #N 对象`` · ``查询 #N`` ·
``我的工单`` · ``满意 #N`` · ``不满意 #N 原因``.

Parsing is tolerant: ``#12``, ``＃12``, ``12号工单``, ``工单12``, full-width digits, extra spaces and
leading @mentions all work. The verb must start the message and be followed by a number, a blank, ``#``
or the end, so "进展怎么样了" is not a command. A recognised command is always answered (with a usage
hint when the number is missing) and never opens a ticket. Permissions are the workflow's
(``bot.services.workflow.may``); every reply is one short Chinese sentence.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import or_, select

from bot.messages import IncomingMessage
from bot.services import notify, outbox
from bot.services.workflow import Actor, TicketError, apply_action
from handlers.base import Context, Filter, FromBot, Handler
from handlers.render import status_line, usage
from models.registry import Role
from models.ticket import OPEN_STATUSES, Ticket, TicketStatus

logger = logging.getLogger(__name__)

VERBS: dict[str, str] = {
    "我的工单": "mine",
    "不满意": "unsatisfied",
    "满意": "satisfied",
    "接单": "accept",
    "签收": "accept",
    "进展": "progress",
    "办结": "resolve",
    "退回": "return",
    "退单": "return",
    "转派": "reassign",
    "查询": "query",
}
_VERB = re.compile(
    r"^(" + "|".join(sorted(VERBS, key=len, reverse=True)) + r")(?=$|[\s#:,;!.。]|\d|工单|单号|第|no)",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"^[\s:,]*(?:第|工单号?|单号|no\.?)?\s*#?\s*(\d{1,9})\s*(?:号工单|号单|号)?", re.IGNORECASE
)
_NUMBER_FIRST = re.compile(r"^(?:工单|#)\s*(\d{1,9})\s*号?\s*|^(\d{1,9})\s*号工单\s*")


@dataclass(frozen=True)
class Command:
    """A parsed ticket command."""

    verb: str
    action: str
    number: int | None
    rest: str


def parse_command(text: str) -> Command | None:
    """Parse a chat line into a ticket command, or None when it is not one.

    Accepts ``接单 #12``, ``接单＃１２``, ``接单 12号工单``, ``接单 工单12``, ``工单12 接单``, ``12号工单 办结 已修好``.
    """
    norm = unicodedata.normalize("NFKC", text).strip()
    norm = re.sub(r"^(?:[@＠]\S+\s*)+", "", norm).strip()
    lead_number: int | None = None
    first = _NUMBER_FIRST.match(norm)
    if first:
        lead_number = int(first.group(1) or first.group(2))
        norm = norm[first.end() :].strip()
    match = _VERB.match(norm)
    if not match:
        return None
    verb = match.group(1)
    rest = norm[match.end() :]
    number = lead_number
    if number is None:
        found = _NUMBER.match(rest)
        if found:
            number = int(found.group(1))
            rest = rest[found.end() :]
    return Command(verb=verb, action=VERBS[verb], number=number, rest=rest.strip(" \t:,，：;；"))


class IsTicketCommand(Filter):
    """The command text parses as a ticket command."""

    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return parse_command(msg.command_text) is not None


def actor_for(msg: IncomingMessage, ctx: Context) -> Actor:
    """The acting person: the registered sender, else an unregistered resident known by platform id."""
    if ctx.sender is not None:
        return Actor.from_person(ctx.sender, user_id=msg.sender_id)
    return Actor(person_id=msg.sender_id, role=Role.RESIDENT, user_ids=(msg.sender_id,))


class TicketCommandHandler(Handler):
    """接单/进展/办结/退回/转派/查询/我的工单/满意/不满意."""

    name = "ticket_command"
    filters: ClassVar[Filter] = ~FromBot() & IsTicketCommand()

    async def handle(self, msg: IncomingMessage, ctx: Context) -> bool:
        command = parse_command(msg.command_text)
        if command is None:  # pragma: no cover - the filter ran first
            return False
        actor = actor_for(msg, ctx)
        try:
            text = await self.run(command, msg, ctx, actor)
        except TicketError as exc:
            text = exc.message
            logger.info(
                "command %s #%s by %s refused: %s", command.action, command.number, actor.person_id, exc.code
            )
        if text:
            await outbox.reply(session=ctx.session, settings=ctx.settings, msg=msg, text=text, key="cmd")
        return True

    async def run(self, command: Command, msg: IncomingMessage, ctx: Context, actor: Actor) -> str | None:
        if command.action == "mine":
            return await my_tickets(ctx, actor, in_group=msg.group_id is not None)
        number = command.number
        if number is None and command.action in ("satisfied", "unsatisfied"):
            number = await awaiting_feedback(ctx, actor)
        if number is None:
            return usage(command.verb)
        if command.action == "query":
            return await query(ctx, actor, number, in_group=msg.group_id is not None)
        ticket = await apply_action(
            session=ctx.session,
            settings=ctx.settings,
            number=number,
            action=command.action,
            actor=actor,
            note=command.rest or None,
            target=command.rest or None,
            now=ctx.now,
        )
        if (
            msg.group_id is not None
            and msg.group_id == ticket.group_id
            and command.action in ("accept", "resolve")
        ):
            return None  # the group update already says it
        return await confirmation(ctx, command.action, ticket)


async def confirmation(ctx: Context, action: str, ticket: Ticket) -> str:
    n = ticket.number
    if action == "accept":
        return f"已接单 #{n}，请在 {notify.local_time(ticket.resolve_due_at)} 前办结。"
    if action == "progress":
        return f"已记录工单 #{n} 的进展。"
    if action == "resolve":
        return f"工单 #{n} 已办结，已请反映人评价。"
    if action == "return":
        return f"工单 #{n} 已退回，由{await notify.person_name(ctx.session, ticket.assignee_id)}重新分拨。"
    if action == "reassign":
        return f"工单 #{n} 已转派给{await notify.person_name(ctx.session, ticket.assignee_id)}。"
    if action == "satisfied":
        return f"感谢您的评价！工单 #{n} 已归档。"
    if action == "unsatisfied":
        return f"已收到您的意见，工单 #{n} 已重新交办处理。"
    return f"工单 #{n} 状态：{notify.STATUS_NAMES.get(ticket.status, ticket.status)}。"


async def awaiting_feedback(ctx: Context, actor: Actor) -> int | None:
    """The sender's latest resolved ticket still waiting for 满意/不满意."""
    ids = list(dict.fromkeys((actor.person_id, *actor.user_ids)))
    return await ctx.session.scalar(
        select(Ticket.number)
        .where(
            Ticket.reporter_id.in_(ids),
            Ticket.status == TicketStatus.RESOLVED.value,
            Ticket.feedback_asked_at.is_not(None),
        )
        .order_by(Ticket.resolved_at.desc())
        .limit(1)
    )


async def query(ctx: Context, actor: Actor, number: int, *, in_group: bool) -> str:
    """查询 #N: staff and the reporter see details; residents see their own group's tickets only."""
    ticket = await ctx.session.get(Ticket, number)
    if ticket is None:
        return f"没有找到工单 #{number}。"
    staff = actor.is_grid_staff(ticket) or actor.is_handler(ticket)
    same_group = ctx.group is not None and ctx.group.group_id == ticket.group_id
    if not (staff or actor.is_reporter(ticket) or same_group):
        return "您只能查询本群的工单。"
    state = notify.STATUS_NAMES.get(ticket.status, ticket.status)
    urgent = "【紧急】" if ticket.urgent else ""
    if notify.is_private(ticket) and (in_group or not (staff or actor.is_reporter(ticket))):
        return f"工单 #{number}{urgent} 状态：{state}。"
    lines = [f"工单 #{number}{urgent} {notify.kind_label(ticket.category, ticket.subtype)}：{state}"]
    if ticket.assignee_id and ticket.status in {s.value for s in OPEN_STATUSES}:
        lines.append(f"处理人：{await notify.person_name(ctx.session, ticket.assignee_id)}")
    if ticket.report_count > 1:
        lines.append(f"反映人数：{ticket.report_count}")
    if staff and not in_group:
        lines.append(f"内容：{notify.clip(ticket.text, 120)}")
        due = (
            ticket.accept_due_at
            if ticket.status in ("assigned", "reopened", "returned")
            else ticket.resolve_due_at
        )
        lines.append(f"时限：{notify.local_time(due)}")
    return "\n".join(lines)


async def my_tickets(ctx: Context, actor: Actor, *, in_group: bool) -> str:
    """我的工单: open tickets assigned to me (urgent first), then the ones I reported."""
    open_states = [s.value for s in OPEN_STATUSES]
    lines: list[str] = []
    assigned = (
        await ctx.session.scalars(
            select(Ticket)
            .where(Ticket.assignee_id == actor.person_id, Ticket.status.in_(open_states))
            .order_by(Ticket.urgent.desc(), Ticket.number)
            .limit(10)
        )
    ).all()
    if assigned:
        lines.append("我负责的工单：")
        lines += [status_line(t, detailed=not (in_group and notify.is_private(t))) for t in assigned]
    ids = list(dict.fromkeys((actor.person_id, *actor.user_ids)))
    reported = (
        await ctx.session.scalars(
            select(Ticket)
            .where(or_(Ticket.reporter_id.in_(ids)))
            .order_by(Ticket.urgent.desc(), Ticket.number.desc())
            .limit(5)
        )
    ).all()
    if reported:
        lines.append("我反映的工单：")
        lines += [status_line(t, detailed=not (in_group and notify.is_private(t))) for t in reported]
    return "\n".join(lines) if lines else "您目前没有工单。"
