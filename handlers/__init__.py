"""Message handlers and the one place they are registered.

Dispatch rules (first match wins; a handler that returns True stops the chain):

1. Commands, most specific first: ``帮助``; then the ticket commands (接单, 进展, 办结, 退回, 转派,
   查询, 我的工单, 满意/不满意; see handlers/ticket.py) and care confirmations (已走访, 已完成; handlers/care.py).
   A ticket command must START the message (after @mentions) and be followed by a number, a blank,
   ``#`` or the end ("进展怎么样了" is chat, not a command). A recognised command is always answered
   (a usage hint when the number is missing) and never opens a ticket. Commands work in a group and in
   a private chat with the app; permissions are checked by the workflow service.
2. Reports: the classifier decides; ``none`` (chit-chat, thanks, reminders, resolved reports) falls through.
   A report covered by an inhibition (declared outage) is answered with its notice, not ticketed; a repeat
   of an open ticket is merged into it; anything else opens a ticket that is routed at once.
3. Fallbacks: nothing. Unhandled messages are stored (the inbox keeps them) and counted, never answered,
   so that the bot stays quiet in a chatty group.

Messages from WeiGrid's own accounts never reach a handler (every handler's filter excludes them).
"""

from __future__ import annotations

from handlers.base import Context, Filter, Handler
from handlers.care import CareHandler
from handlers.dispatcher import Dispatcher
from handlers.help import HelpHandler
from handlers.report import ReportHandler
from handlers.ticket import TicketCommandHandler


def build_dispatcher() -> Dispatcher:
    """All handlers, in priority order. This is the only registration site."""
    handlers: list[Handler] = [
        # 1. commands
        HelpHandler(),
        TicketCommandHandler(),
        CareHandler(),
        # 2. reports
        ReportHandler(),
    ]
    return Dispatcher(handlers)


__all__ = ["Context", "Dispatcher", "Filter", "Handler", "build_dispatcher"]
