"""Splitting long texts at a platform's byte limit, on sentence boundaries."""

from __future__ import annotations

import re

#: Where a text may be cut: after a Chinese full stop, exclamation or question mark, or a newline.
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n])")


def _hard_split(text: str, limit: int) -> list[str]:
    """Cut a text with no usable boundary at character boundaries, each piece at most ``limit`` bytes."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        n = len(ch.encode())
        if size + n > limit and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current:
        pieces.append("".join(current))
    return pieces


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` UTF-8 bytes, preferring sentence ends (。！？ and newlines).

    A sentence longer than the limit is cut at character boundaries. Joining the pieces gives back the text.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    if len(text.encode()) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in _SENTENCE_END.split(text) if s):
        if len((current + sentence).encode()) <= limit:
            current += sentence
            continue
        if current:
            pieces.append(current)
            current = ""
        if len(sentence.encode()) <= limit:
            current = sentence
        else:
            *full, current = _hard_split(sentence, limit)
            pieces.extend(full)
    if current:
        pieces.append(current)
    return pieces


#: Byte limits per (channel, target kind, msgtype); see docs/notices.md for the sources.
BYTE_LIMITS: dict[tuple[str, str, str], int] = {
    ("wecom", "user", "text"): 2048,  # message/send: 最长不超过2048个字节
    ("wecom", "user", "markdown"): 2048,
    ("wecom", "group", "text"): 2048,  # appchat/send
    ("wecom", "group", "markdown"): 2048,
    ("wecom_bot", "group", "text"): 2048,  # group robot webhook
    ("wecom_bot", "group", "markdown"): 4096,
    ("wecom_bot", "reply", "text"): 20480,  # response_url (always sent as markdown)
    ("wecom_bot", "reply", "markdown"): 20480,
}
DEFAULT_LIMIT = 4096  # bridge and anything else


def byte_limit(channel: str, target_kind: str, msgtype: str) -> int:
    """The largest piece, in UTF-8 bytes, that ``channel`` accepts for this target kind and msgtype."""
    return BYTE_LIMITS.get((channel, target_kind, msgtype), DEFAULT_LIMIT)


def pieces(channel: str, target_kind: str, msgtype: str, text: str) -> list[str]:
    """``text`` split as the adapter for ``channel`` will send it."""
    return split_text(text, byte_limit(channel, target_kind, msgtype))
