"""Resident reports: classify the message; a report becomes a ticket, and the group is told."""

from __future__ import annotations

import logging
from typing import ClassVar

from bot.messages import IncomingMessage
from bot.services import outbox
from bot.services import ticket as tickets
from handlers.base import Context, Filter, FromBot, Handler, HasText
from handlers.render import ticket_opened

logger = logging.getLogger(__name__)


class ReportHandler(Handler):
    """Turns a classified resident report into a ticket and replies "已登记工单 #N"."""

    name = "report"
    filters: ClassVar[Filter] = ~FromBot() & HasText()

    async def handle(self, msg: IncomingMessage, ctx: Context) -> bool:
        verdict = ctx.classifier.classify(msg.text)
        if verdict.category == "none":
            return False
        ticket = await tickets.open_ticket(session=ctx.session, msg=msg, verdict=verdict, group=ctx.group)
        await outbox.reply(
            session=ctx.session,
            settings=ctx.settings,
            msg=msg,
            text=ticket_opened(ticket),
            key="ticket-opened",
            priority=outbox.URGENT if ticket.urgent else outbox.NORMAL,
            ticket_id=ticket.number,
        )
        logger.info("ticket #%s opened (%s/%s)", ticket.number, ticket.category, ticket.subtype)
        return True
