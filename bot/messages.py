"""Typed messages: the only shape handlers ever see. Channel adapters own the wire formats."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

_LEADING_MENTIONS = re.compile(r"^(?:\s*[@＠][^\s\u2005]+[\s\u2005]*)+")


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One resident or staff message, whatever platform it came from.

    Attributes:
        channel: ``wecom`` | ``wecom_bot`` | ``bridge`` | ``local``.
        msg_id: The platform's message id (the inbox dedupe key with ``channel``).
        group_id: The platform chat/room id, or ``None`` for a private chat with the app.
        sender_id: The platform user id of the sender.
        text: The text as sent, mentions included.
        mentions: User ids or names mentioned.
        received_at: When WeiGrid accepted it (UTC).
        inbox_id: The inbox row this message came from.
        reply_url: The intelligent robot's one-shot ``response_url``, when there is one.
    """

    channel: str
    msg_id: str
    group_id: str | None
    sender_id: str
    text: str
    received_at: datetime
    sender_name: str | None = None
    group_name: str | None = None
    mentions: tuple[str, ...] = field(default_factory=tuple)
    inbox_id: int | None = None
    reply_url: str | None = None

    @property
    def command_text(self) -> str:
        """The text without leading @mentions and surrounding blanks, for command parsing."""
        return _LEADING_MENTIONS.sub("", self.text).strip()

    @property
    def is_private(self) -> bool:
        return self.group_id is None
