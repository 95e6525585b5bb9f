"""Care confirmations in chat: ``已走访 #户号`` and ``已完成 #户号 说明`` (儿女团, 周末好儿女)."""

from __future__ import annotations

from typing import ClassVar

from bot.messages import IncomingMessage
from bot.services import care, outbox
from handlers.base import Context, Filter, FromBot, Handler, Regex
from models.care import CARE_NAMES


class CareHandler(Handler):
    """Records a volunteer's visit (or other care work) and closes this period's reminder."""

    name = "care"
    filters: ClassVar[Filter] = ~FromBot() & Regex(r"^\s*(?:已走访|已完成)")

    async def handle(self, msg: IncomingMessage, ctx: Context) -> bool:
        parsed = care.parse_confirmation(msg.command_text)
        if parsed is None:
            text = "请这样登记：已走访 #户号（或 已完成 #户号 说明），例如：已走访 #A101"
            await outbox.reply(session=ctx.session, settings=ctx.settings, msg=msg, text=text, key="care")
            return True
        verb, code, note = parsed
        if ctx.sender is None:
            text = "没有找到你的志愿者登记，请联系社区管理员。"
            await outbox.reply(session=ctx.session, settings=ctx.settings, msg=msg, text=text, key="care")
            return True
        try:
            visit, count = await care.confirm(
                session=ctx.session,
                settings=ctx.settings,
                actor_id=ctx.sender.person_id,
                actor_role=ctx.sender.role,
                verb=verb,
                code=code,
                note=note,
                source_msg=f"{msg.channel}:{msg.msg_id}",
                now=ctx.now,
            )
        except care.CareError as exc:
            await outbox.reply(
                session=ctx.session, settings=ctx.settings, msg=msg, text=exc.reply, key="care"
            )
            return True
        what = CARE_NAMES.get(visit.kind, visit.kind)
        text = f"已登记：户号#{code} {what}。本月该户已登记{count}次，谢谢！"
        await outbox.reply(session=ctx.session, settings=ctx.settings, msg=msg, text=text, key="care")
        return True
