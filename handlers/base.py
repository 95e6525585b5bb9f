"""The handler protocol: a filter plus an async callback (after python-telegram-bot).

Filters are small predicates over the typed message and the dispatch context; they compose with
``&``, ``|`` and ``~``. A handler's ``handle`` returns ``True`` when it dealt with the message, which
stops the chain, or ``False`` to let the next handler try.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import IncomingMessage
from models.registry import Group, Person, Role

if TYPE_CHECKING:
    from bot.settings import Settings


@dataclass
class Context:
    """What a handler may use: the unit of work's session, settings, the classifier, who and where."""

    session: AsyncSession
    settings: Settings
    classifier: Any  # bot.classifier.ClassifierHolder
    now: datetime
    sender: Person | None = None
    group: Group | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> Role:
        """The sender's role; unknown senders are residents."""
        return Role(self.sender.role) if self.sender is not None else Role.RESIDENT

    @property
    def actor_id(self) -> str:
        return self.sender.person_id if self.sender is not None else ""


class Filter(ABC):
    """A predicate over a message in its context."""

    @abstractmethod
    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool: ...

    def __and__(self, other: Filter) -> Filter:
        return _Combined(lambda m, c: self(m, c) and other(m, c), f"({self} & {other})")

    def __or__(self, other: Filter) -> Filter:
        return _Combined(lambda m, c: self(m, c) or other(m, c), f"({self} | {other})")

    def __invert__(self) -> Filter:
        return _Combined(lambda m, c: not self(m, c), f"~{self}")

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class _Combined(Filter):
    def __init__(self, fn: Callable[[IncomingMessage, Context], bool], label: str) -> None:
        self.fn = fn
        self.label = label

    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return self.fn(msg, ctx)

    def __repr__(self) -> str:
        return self.label


class All(Filter):
    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return True


class InGroup(Filter):
    """Sent in a group chat."""

    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return msg.group_id is not None


class Private(Filter):
    """Sent in a private chat with the app or robot."""

    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return msg.group_id is None


class FromBot(Filter):
    """Sent by WeiGrid's own accounts (bridges relay our own messages back)."""

    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return msg.sender_id in ctx.settings.server.bot_user_ids


class HasText(Filter):
    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return bool(msg.text.strip())


class Regex(Filter):
    """The command text (leading @mentions removed) matches a pattern."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return self.pattern.search(msg.command_text) is not None

    def __repr__(self) -> str:
        return f"Regex({self.pattern.pattern!r})"


class FromRole(Filter):
    """The sender holds one of these roles in the registry."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, msg: IncomingMessage, ctx: Context) -> bool:
        return ctx.role in self.roles


class Handler(ABC):
    """A filter plus an async callback. Subclasses set ``name`` and ``filters``."""

    name: ClassVar[str]
    filters: ClassVar[Filter] = All()

    def check(self, msg: IncomingMessage, ctx: Context) -> bool:
        return self.filters(msg, ctx)

    @abstractmethod
    async def handle(self, msg: IncomingMessage, ctx: Context) -> bool:
        """Act on the message. Return True when handled (stops the chain)."""
