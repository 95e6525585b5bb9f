"""The adapter interface every outbound channel implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Outbound:
    """One outbox row, as an adapter sees it."""

    id: int
    channel: str
    target_kind: str  # "group" | "user" | "reply"
    target: str
    body: str
    dedupe_key: str
    group_id: str | None = None
    msgtype: str = "text"
    mentions: tuple[str, ...] = field(default_factory=tuple)
    reply_url: str | None = None
    robot_key: str | None = None
    priority: int = 5  # 0 = urgent; >= 8 = bulk (notices), paced away from the :00/:30 marks
    created_at: datetime | None = None  # when the row was enqueued (a response_url lives 1 h)
    attempts: int = 0  # attempts made before this one


class SendError(Exception):
    """A failed send. ``retryable`` errors are tried again later; the others fail the row for good.

    Attributes:
        reason: The platform's reason (errcode and errmsg, or the transport error).
        retryable: Whether trying again may succeed (5xx, timeouts, rate limits).
        ambiguous: The request went out and we do not know whether it arrived (a read timeout).
        retry_after: Seconds to wait at least before the next try (rate limits).
        code: The platform's error code, when it gave one.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        ambiguous: bool = False,
        retry_after: float | None = None,
        code: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.ambiguous = ambiguous
        self.retry_after = retry_after
        self.code = code


class ChannelAdapter(Protocol):
    """Sends one outbound item; raises SendError when it could not."""

    name: str

    async def send(self, item: Outbound) -> None: ...

    async def aclose(self) -> None: ...
