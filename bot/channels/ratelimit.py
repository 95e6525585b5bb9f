"""Pacing outbound sends BEFORE they go out, so that WeiGrid itself never causes a 45009.

Configured in the ``rate_limits:`` section of config.yaml (parsed here into :class:`RateLimitConfig`).
Each rule is a sliding window (at most ``limit`` sends in any ``per_s`` seconds, plus a safety margin)
keyed per channel, per account or per target. A sliding window is used rather than a refilling token
bucket because WeCom counts sends in a moving window: a full bucket's burst followed by its refill
would put 21 messages into one minute of a 20-a-minute robot.

Defaults are WeCom's published limits: a group robot 20/min per key; ``message/send`` 30/min and
1000/h per member; ``appchat/send`` 20,000 person-times/min per company, where a chat's person-times
are approximated by ``appchat_members`` (the chat size is not known to us). The bridge account gets a
daily budget and a jittered pace from ``bridge.daily_budget``, ``bridge.min_interval_s`` and
``bridge.jitter_s``. Bulk rows (priority >= ``avoid_marks.min_priority``) are kept away from the :00
and :30 minute marks, when WeCom is busiest.

A send whose slot is further away than ``max_wait_s`` is not held in memory: :meth:`Limiter.acquire`
raises :class:`Deferred`, and the worker puts the row back with ``next_attempt_at`` at that slot.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from bot.channels.base import Outbound
from bot.channels.text import pieces


class RuleConfig(BaseModel):
    """One sliding-window limit."""

    channel: str
    kinds: list[str] = Field(default_factory=lambda: ["group", "user"])
    scope: Literal["channel", "account", "target"] = "target"
    limit: int = Field(gt=0)
    per_s: float = Field(gt=0)
    cost: Literal["messages", "members"] = "messages"
    enabled: bool = True


DEFAULT_RULES: dict[str, dict[str, Any]] = {
    "robot": {"channel": "wecom_bot", "kinds": ["group"], "scope": "target", "limit": 20, "per_s": 60},
    "member_minute": {"channel": "wecom", "kinds": ["user"], "scope": "target", "limit": 30, "per_s": 60},
    "member_hour": {"channel": "wecom", "kinds": ["user"], "scope": "target", "limit": 1000, "per_s": 3600},
    "appchat_company": {
        "channel": "wecom",
        "kinds": ["group"],
        "scope": "account",
        "limit": 20000,
        "per_s": 60,
        "cost": "members",
    },
}


class AvoidMarks(BaseModel):
    """Keep bulk sends away from these minute marks (local time)."""

    minutes: list[int] = Field(default_factory=lambda: [0, 30])
    before_s: float = 30.0
    after_s: float = 90.0
    min_priority: int = 8  # BULK


class RateLimitConfig(BaseModel):
    """The parsed ``rate_limits:`` section."""

    enabled: bool = True
    margin: float = 0.03  # share of each window added as safety (network jitter, clock differences)
    margin_min_s: float = 0.5  # ... but at least this many seconds
    max_wait_s: float = 5.0
    appchat_members: int = 100
    avoid_marks: AvoidMarks | None = Field(default_factory=AvoidMarks)
    rules: dict[str, RuleConfig] = Field(default_factory=dict)

    @classmethod
    def from_section(cls, section: dict[str, Any] | None) -> RateLimitConfig:
        """Defaults merged with config.yaml's section (a rule given by name overrides that rule's keys)."""
        data = dict(section or {})
        rules = {name: dict(rule) for name, rule in DEFAULT_RULES.items()}
        for name, rule in (data.pop("rules", None) or {}).items():
            rules[name] = {**rules.get(name, {}), **(rule or {})}
        return cls.model_validate({**data, "rules": rules})


class Deferred(Exception):
    """The send's slot is more than ``max_wait_s`` away; retry the row after ``delay`` seconds."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay
        self.reason = reason


class Window:
    """At most ``limit`` cost units in any ``per_s`` seconds; entries may be reservations in the future."""

    def __init__(self, limit: int, per_s: float) -> None:
        self.limit = limit
        self.per_s = per_s
        self.entries: deque[tuple[float, int]] = deque()

    def earliest(self, now: float, cost: int) -> float:
        while self.entries and self.entries[0][0] <= now - self.per_s:
            self.entries.popleft()
        cost = min(cost, self.limit)
        room = self.limit - cost
        used = 0
        for at, n in reversed(self.entries):
            used += n
            if used > room:
                return max(now, at + self.per_s)
        return now

    def reserve(self, at: float, cost: int) -> None:
        self.entries.append((at, min(cost, self.limit)))


class Limiter:
    """Paces sends per rule and key; see the module docstring."""

    def __init__(
        self,
        config: RateLimitConfig,
        *,
        bridge_budget: int = 2000,
        bridge_interval_s: float = 3.0,
        bridge_jitter_s: float = 2.0,
        timezone: str = "Asia/Shanghai",
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.bridge_budget = bridge_budget
        self.bridge_interval_s = bridge_interval_s
        self.bridge_jitter_s = bridge_jitter_s
        self.tz = ZoneInfo(timezone)
        self.clock = clock
        self.sleep = sleep
        self.windows: dict[tuple[str, str], Window] = {}
        self.blocked: dict[tuple[str, str], float] = {}
        self.bridge_day = ""
        self.bridge_used = 0
        self.bridge_next = 0.0
        self.waited_s = 0.0

    # -- bookkeeping ---------------------------------------------------------------------------
    def _keys(self, item: Outbound) -> list[tuple[str, RuleConfig, str]]:
        keys = []
        for name, rule in self.config.rules.items():
            if not rule.enabled or rule.channel != item.channel or item.target_kind not in rule.kinds:
                continue
            if rule.scope == "channel":
                keys.append((name, rule, "*"))
            elif rule.scope == "account":
                keys.append((name, rule, "default"))
            elif item.channel == "wecom_bot":
                keys.append((name, rule, item.robot_key or item.target))
            else:
                keys.extend((name, rule, t) for t in item.target.split("|") if t)
        return keys

    def _window(self, name: str, rule: RuleConfig, key: str) -> Window:
        w = self.windows.get((name, key))
        if w is None:
            per_s = rule.per_s + max(rule.per_s * self.config.margin, self.config.margin_min_s)
            w = self.windows[(name, key)] = Window(rule.limit, per_s)
        return w

    def _day(self, at: float) -> str:
        return datetime.fromtimestamp(at, self.tz).strftime("%Y-%m-%d")

    def _next_midnight(self, at: float) -> float:
        local = datetime.fromtimestamp(at, self.tz)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp()

    def _away_from_marks(self, at: float) -> float:
        marks = self.config.avoid_marks
        if marks is None:
            return at
        local = datetime.fromtimestamp(at, self.tz)
        for minute in marks.minutes:
            mark = local.replace(minute=minute % 60, second=0, microsecond=0)
            for candidate in (mark, mark + timedelta(hours=1), mark - timedelta(hours=1)):
                start = candidate.timestamp() - marks.before_s
                end = candidate.timestamp() + marks.after_s
                if start <= at < end:
                    return end
        return at

    def seed_bridge_used(self, used_today: int) -> None:
        """Start the day's bridge count from what the database says was sent today (after a restart)."""
        self.bridge_day = self._day(self.clock())
        self.bridge_used = max(self.bridge_used, used_today)

    # -- the interface the worker uses ------------------------------------------------------------
    def slot(self, item: Outbound, now: float | None = None) -> float:
        """The earliest time ``item`` may go out (without reserving it)."""
        now = self.clock() if now is None else now
        at = now
        if not self.config.enabled or item.channel == "local":
            return at  # the local channel is no platform: nothing to pace
        cost = len(pieces(item.channel, item.target_kind, item.msgtype, item.body))
        for name, rule, key in self._keys(item):
            units = cost * (self.config.appchat_members if rule.cost == "members" else 1)
            at = max(
                at, self._window(name, rule, key).earliest(now, units), self.blocked.get((name, key), 0.0)
            )
        if item.channel == "bridge":
            if self._day(at) == self.bridge_day and self.bridge_used + cost > self.bridge_budget:
                at = max(at, self._next_midnight(at) + random.uniform(0, self.bridge_jitter_s * 10))
            at = max(at, self.bridge_next)
        if (marks := self.config.avoid_marks) and item.priority >= marks.min_priority:
            at = self._away_from_marks(at)
        return at

    def reserve(self, item: Outbound, at: float) -> None:
        cost = len(pieces(item.channel, item.target_kind, item.msgtype, item.body))
        if self.config.enabled:
            for name, rule, key in self._keys(item):
                units = cost * (self.config.appchat_members if rule.cost == "members" else 1)
                self._window(name, rule, key).reserve(at, units)
        if item.channel == "bridge":
            day = self._day(at)
            if day != self.bridge_day:
                self.bridge_day, self.bridge_used = day, 0
            self.bridge_used += cost
            self.bridge_next = at + self.bridge_interval_s + random.uniform(0, self.bridge_jitter_s)

    async def acquire(self, item: Outbound) -> None:
        """Wait until ``item`` may go out and take its slot, or raise :class:`Deferred` for a far slot."""
        now = self.clock()
        at = self.slot(item, now)
        delay = at - now
        if delay > self.config.max_wait_s:
            raise Deferred(delay, f"rate limit: next slot in {delay:.0f}s")
        self.reserve(item, at)
        if delay > 0:
            self.waited_s += delay
            await self.sleep(delay)

    def backoff(self, item: Outbound, seconds: float) -> None:
        """The platform said 45009/45033/-1: hold every key of this item for ``seconds``."""
        until = self.clock() + seconds
        for name, _rule, key in self._keys(item):
            self.blocked[(name, key)] = max(self.blocked.get((name, key), 0.0), until)

    def bridge_status(self) -> dict[str, Any]:
        """The bridge account's budget as this process sees it."""
        now = self.clock()
        used = self.bridge_used if self._day(now) == self.bridge_day else 0
        return {
            "daily_budget": self.bridge_budget,
            "used_today": used,
            "remaining": max(self.bridge_budget - used, 0),
            "min_interval_s": self.bridge_interval_s,
            "jitter_s": self.bridge_jitter_s,
        }


def build_limiter(settings: Any, **kwargs: Any) -> Limiter:
    """The limiter for ``settings`` (its ``rate_limits`` section and the bridge pacing)."""
    return Limiter(
        RateLimitConfig.from_section(settings.rate_limits),
        bridge_budget=settings.bridge.daily_budget,
        bridge_interval_s=settings.bridge.min_interval_s,
        bridge_jitter_s=settings.bridge.jitter_s,
        timezone=settings.timezone,
        **kwargs,
    )
