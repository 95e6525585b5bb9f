"""Filters alone, and the dispatcher's first-match-wins rule."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from bot.messages import IncomingMessage
from bot.settings import Settings
from handlers import build_dispatcher
from handlers.base import Context, Filter, FromBot, FromRole, Handler, HasText, InGroup, Private, Regex
from handlers.dispatcher import Dispatcher
from handlers.help import HelpHandler
from models.base import utcnow
from models.registry import Person, Role


def msg(text: str, group: str | None = "g1", sender: str = "u1") -> IncomingMessage:
    return IncomingMessage(
        channel="bridge", msg_id="m", group_id=group, sender_id=sender, text=text, received_at=utcnow()
    )


def ctx(settings: Settings, role: Role | None = None) -> Context:
    sender = Person(person_id="u1", role=role.value) if role else None
    return Context(session=None, settings=settings, classifier=None, now=utcnow(), sender=sender)  # type: ignore[arg-type]


def test_filters_compose(settings: Settings) -> None:
    c = ctx(settings)
    assert InGroup()(msg("x"), c) and not InGroup()(msg("x", group=None), c)
    assert Private()(msg("x", group=None), c)
    assert not HasText()(msg("   "), c)
    both = InGroup() & Regex(r"^帮助$")
    assert both(msg("@楼栋长 帮助"), c)  # leading mentions are ignored by command filters
    assert not both(msg("帮助", group=None), c)
    assert (~InGroup() | HasText())(msg("", group=None), c)
    assert FromRole(Role.GRID_MEMBER)(msg("x"), ctx(settings, Role.GRID_MEMBER))
    assert not FromRole(Role.GRID_MEMBER)(msg("x"), c)  # unknown senders are residents


def test_messages_from_our_own_accounts_are_never_handled(settings: Settings) -> None:
    mine = settings.model_copy(
        update={"server": settings.server.model_copy(update={"bot_user_ids": ["bot1"]})}
    )
    c = ctx(mine)
    assert FromBot()(msg("帮助", sender="bot1"), c)
    dispatcher = build_dispatcher()
    assert all(not h.check(msg("帮助", sender="bot1"), c) for h in dispatcher.handlers)


def test_help_filter_only_matches_the_command(settings: Settings) -> None:
    h, c = HelpHandler(), ctx(settings)
    assert h.check(msg("帮助"), c) and h.check(msg("help"), c) and h.check(msg("@微网格助手 帮助"), c)
    assert not h.check(msg("谁能帮助一下我家老人"), c)


class Recorder(Handler):
    name = "recorder"
    filters: ClassVar[Filter] = HasText()

    def __init__(self, name: str, result: bool, log: list[str]) -> None:
        self.name = name  # type: ignore[misc]
        self.result = result
        self.log = log

    async def handle(self, m: IncomingMessage, c: Any) -> bool:
        self.log.append(self.name)
        return self.result


async def test_first_handler_that_handles_stops_the_chain(settings: Settings) -> None:
    log: list[str] = []
    d = Dispatcher([Recorder("a", False, log), Recorder("b", True, log), Recorder("c", True, log)])
    assert await d.dispatch(msg("hi"), ctx(settings)) == "b"
    assert log == ["a", "b"]
    assert await d.dispatch(msg("  "), ctx(settings)) is None


def test_duplicate_handler_names_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        Dispatcher([Recorder("a", True, []), Recorder("a", True, [])])


def test_registration_order_is_commands_before_reports() -> None:
    names = [h.name for h in build_dispatcher().handlers]
    assert names[0] == "help" and names[-1] == "report"
