"""Resident reports: classify; a report becomes a ticket (or joins the open one it repeats), and the group is told.

Order of checks for a report (``category != none``):

1. an inhibition in force (停水, 停电, 电梯维保 ... declared by an admin) covers it → no ticket; the group
   gets the inhibition's notice instead (urgent reports are never inhibited);
2. it repeats an open ticket of the same place and kind → merged ("已并入工单 #N");
3. otherwise a new ticket is opened and routed at once; urgent ones get the emergency numbers in the reply.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from bot.messages import IncomingMessage
from bot.redact import redact
from bot.services import inhibition, outbox
from bot.services import ticket as tickets
from handlers.base import Context, Filter, FromBot, Handler, HasText
from handlers.render import emergency_advice, ticket_merged, ticket_opened
from models.registry import Person

logger = logging.getLogger(__name__)


class ReportHandler(Handler):
    """Turns a classified resident report into a ticket and replies "已登记工单 #N"."""

    name = "report"
    filters: ClassVar[Filter] = ~FromBot() & HasText()

    async def handle(self, msg: IncomingMessage, ctx: Context) -> bool:
        verdict = ctx.classifier.classify(msg.text)
        if verdict.category == "none":
            return False
        category = str(verdict.category)
        inhibited = await inhibition.find(
            session=ctx.session,
            group=ctx.group,
            text=msg.text,
            category=category,
            urgent=verdict.urgent,
            now=ctx.now,
        )
        if inhibited is not None:
            tell = await inhibition.record_hit(
                session=ctx.session, inhibition=inhibited, msg=msg, category=category, now=ctx.now
            )
            if tell:
                await outbox.reply(
                    session=ctx.session,
                    settings=ctx.settings,
                    msg=msg,
                    text=inhibition.notice_text(inhibited),
                    key="inhibited",
                )
            return True
        ticket, merged = await tickets.open_or_merge(
            session=ctx.session, settings=ctx.settings, msg=msg, verdict=verdict, group=ctx.group
        )
        if merged:
            text = ticket_merged(ticket)
        else:
            assignee = await ctx.session.get(Person, ticket.assignee_id) if ticket.assignee_id else None
            text = ticket_opened(ticket, routed_to=assignee.role if assignee is not None else None)
            if ticket.urgent:
                text += "\n" + emergency_advice(ticket, ctx.settings)
        await outbox.reply(
            session=ctx.session,
            settings=ctx.settings,
            msg=msg,
            text=text,
            key="ticket-opened",
            priority=outbox.URGENT if ticket.urgent else outbox.NORMAL,
            ticket_id=ticket.number,
        )
        logger.info(
            "ticket #%s %s (%s/%s): %s",
            ticket.number,
            "merged" if merged else "opened",
            ticket.category,
            ticket.subtype,
            redact(msg.text)[:80],
        )
        return True
