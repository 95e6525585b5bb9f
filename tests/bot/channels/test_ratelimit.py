"""The limiter paces before sending: sliding windows per key, bridge budget, :00/:30 marks, deferral."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from bot.channels.base import Outbound
from bot.channels.ratelimit import Deferred, Limiter, RateLimitConfig


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


# 2026-11-30 10:10:00 in Shanghai
T0 = datetime(2026, 11, 30, 2, 10, tzinfo=UTC).timestamp()


def limiter(clock: Clock, section: dict[str, object] | None = None, **kw: object) -> Limiter:
    cfg = RateLimitConfig.from_section({"margin": 0, "margin_min_s": 0, **(section or {})})
    return Limiter(cfg, clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


def out(channel: str, target: str, kind: str = "group", **kw: object) -> Outbound:
    return Outbound(id=1, channel=channel, target_kind=kind, target=target, body="hi", dedupe_key="k", **kw)  # type: ignore[arg-type]


def max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


async def test_robot_never_more_than_20_in_any_minute() -> None:
    clock = Clock(T0)
    lim = limiter(clock, {"max_wait_s": 3600})
    times = []
    for _ in range(65):
        await lim.acquire(out("wecom_bot", "g1", robot_key="key1"))
        times.append(clock.now)
    assert max_in_window(times, 60.0) == 20
    assert times[-1] - times[0] >= 180  # 65 messages need three more full minutes
    other = clock.now
    await lim.acquire(out("wecom_bot", "g2", robot_key="key2"))  # another robot is not held up
    assert clock.now == other


async def test_member_limits_30_a_minute_and_1000_an_hour() -> None:
    clock = Clock(T0)
    lim = limiter(clock, {"max_wait_s": 10**6, "rules": {"member_hour": {"limit": 40}}})
    times = []
    for _ in range(45):
        await lim.acquire(out("wecom", "gm1|gm2", kind="user"))
        times.append(clock.now)
    assert max_in_window(times, 60.0) == 30 and max_in_window(times, 3600.0) == 40


async def test_far_slots_defer_instead_of_blocking() -> None:
    clock = Clock(T0)
    lim = limiter(clock, {"rules": {"robot": {"limit": 1, "per_s": 60}}})
    await lim.acquire(out("wecom_bot", "g1", robot_key="k"))
    with pytest.raises(Deferred) as info:
        await lim.acquire(out("wecom_bot", "g1", robot_key="k"))
    assert 59 <= info.value.delay <= 60
    lim.backoff(out("wecom_bot", "g9", robot_key="k9"), 30)  # the platform said 45009
    with pytest.raises(Deferred):
        await lim.acquire(out("wecom_bot", "g9", robot_key="k9"))


async def test_bulk_sends_avoid_the_hour_and_half_hour_marks() -> None:
    clock = Clock(datetime(2026, 11, 30, 1, 59, 45, tzinfo=UTC).timestamp())  # 09:59:45 local
    lim = limiter(clock, {"max_wait_s": 600})
    await lim.acquire(out("wecom", "g1", priority=8))
    assert datetime.fromtimestamp(clock.now, UTC).strftime("%H:%M:%S") == "02:01:30"
    urgent_clock = Clock(datetime(2026, 11, 30, 1, 59, 45, tzinfo=UTC).timestamp())
    lim2 = limiter(urgent_clock, {"max_wait_s": 600})
    await lim2.acquire(out("wecom", "g1", priority=0))
    local_clock = Clock(datetime(2026, 11, 30, 1, 59, 45, tzinfo=UTC).timestamp())
    lim3 = limiter(local_clock, {"max_wait_s": 600})
    await lim3.acquire(out("local", "g1", priority=8))  # the local channel is never paced
    assert local_clock.now == datetime(2026, 11, 30, 1, 59, 45, tzinfo=UTC).timestamp()
    assert urgent_clock.now == datetime(2026, 11, 30, 1, 59, 45, tzinfo=UTC).timestamp()


async def test_bridge_budget_and_jittered_pace() -> None:
    clock = Clock(T0)
    lim = limiter(clock, {"max_wait_s": 100}, bridge_budget=5, bridge_interval_s=3.0, bridge_jitter_s=2.0)
    lim.seed_bridge_used(2)
    times = []
    for _ in range(3):
        await lim.acquire(out("bridge", "r1"))
        times.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(3.0 <= g <= 5.0 for g in gaps)
    assert lim.bridge_status()["remaining"] == 0
    with pytest.raises(Deferred) as info:  # tomorrow (after local midnight)
        await lim.acquire(out("bridge", "r1"))
    assert info.value.delay > 13 * 3600


async def test_appchat_counts_person_times() -> None:
    clock = Clock(T0)
    lim = limiter(clock, {"max_wait_s": 10**6, "appchat_members": 500})
    times = []
    for n in range(50):
        await lim.acquire(out("wecom", f"chat{n}"))
        times.append(clock.now)
    assert max_in_window(times, 60.0) == 40  # 20,000 person-times a minute / 500 members
