"""``帮助`` / ``help``: what the bot can do."""

from __future__ import annotations

from typing import ClassVar

from bot.messages import IncomingMessage
from bot.services import outbox
from handlers.base import Context, Filter, FromBot, Handler, Regex
from handlers.render import HELP


class HelpHandler(Handler):
    """Answers 帮助, help, 菜单 and ? with the command list."""

    name = "help"
    filters: ClassVar[Filter] = ~FromBot() & Regex(r"^(?:帮助|help|HELP|Help|菜单|使用说明|[?？])\s*$")

    async def handle(self, msg: IncomingMessage, ctx: Context) -> bool:
        await outbox.reply(session=ctx.session, settings=ctx.settings, msg=msg, text=HELP, key="help")
        return True
