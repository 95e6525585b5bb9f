"""The WeCom adapter over real HTTP against the fake WeCom server."""

from __future__ import annotations

import pytest

from bot.channels.base import Outbound, SendError
from bot.channels.bridge import BridgeAdapter
from bot.channels.robot import RobotAdapter
from bot.channels.text import split_text
from bot.channels.wecom import WeComAdapter, WeComClient
from tests.fakes.wecom import running_fake_wecom


def item(target: str, body: str = "你好", kind: str = "user", **kw: object) -> Outbound:
    return Outbound(id=1, channel="wecom", target_kind=kind, target=target, body=body, dedupe_key="k1", **kw)  # type: ignore[arg-type]


def adapter(url: str, secret: str = "s3cretXYZ", timeout_s: float = 2.0) -> WeComAdapter:
    client = WeComClient(api_base=url, corp_id="wwtestcorp0000001", secret=secret, timeout_s=timeout_s)
    return WeComAdapter(client, agent_id=1000002)


async def test_message_send_and_appchat_share_one_token() -> None:
    async with running_fake_wecom(agent_id=1000002) as fake:
        a = adapter(fake.url)
        await a.send(item("gm1|gm2"))
        await a.send(item("chat1", kind="group", body="通知"))
        await a.aclose()
        b = adapter(fake.url)  # another adapter (worker) in the same process reuses the token
        await b.send(item("gm3"))
        await b.aclose()
    assert fake.counters["gettoken"] == 1
    assert fake.targets("message") == ["gm1", "gm2", "gm3"]
    assert fake.targets("appchat") == ["chat1"]
    assert fake.received[0].payload["enable_duplicate_check"] == 1


async def test_expired_token_is_refreshed_and_the_call_retried_once() -> None:
    async with running_fake_wecom() as fake:
        a = adapter(fake.url, secret="another-secret-1")
        await a.send(item("gm1"))
        fake.force_expire_tokens()
        await a.send(item("gm1", body="第二条"))
        await a.aclose()
    assert fake.counters["expired_token"] == 1
    assert fake.counters["gettoken"] == 2
    assert [d.body for d in fake.received] == ["你好", "第二条"]


@pytest.mark.parametrize(
    ("knobs", "target", "kind", "code"),
    [
        ({"invalid_chatids": {"bad"}}, "bad", "group", 86001),
        ({"chatids": {"ok"}}, "gone", "group", 86003),
        ({"invalid_users": {"nobody"}}, "nobody", "user", 81013),
    ],
)
async def test_permanent_errors_carry_the_platform_reason(
    knobs: dict[str, object], target: str, kind: str, code: int
) -> None:
    async with running_fake_wecom(**knobs) as fake:
        a = adapter(fake.url, secret=f"perm-{code}")
        with pytest.raises(SendError) as info:
            await a.send(item(target, kind=kind))
        await a.aclose()
    assert info.value.code == code and not info.value.retryable
    assert str(code) in info.value.reason


async def test_5xx_is_retryable_and_45009_backs_off() -> None:
    async with running_fake_wecom(fail_rate=1.0) as fake:
        a = adapter(fake.url, secret="fivexx-1")
        with pytest.raises(SendError) as info:
            await a.send(item("gm1"))
        assert info.value.retryable and not info.value.ambiguous
        fake.fail_rate = 0.0
        fake.user_limits = ((1, 60.0),)
        await a.send(item("gm1"))
        with pytest.raises(SendError) as limited:
            await a.send(item("gm1", body="again"))
        await a.aclose()
    assert limited.value.code == 45009 and limited.value.retryable and limited.value.retry_after == 60.0


async def test_read_timeout_after_sending_is_ambiguous() -> None:
    async with running_fake_wecom(timeout_rate=1.0, hang_s=1.5) as fake:
        a = adapter(fake.url, secret="timeout-1", timeout_s=0.5)
        with pytest.raises(SendError) as info:
            await a.send(item("gm1"))
        await a.aclose()
        assert fake.targets() == ["gm1"]  # it did arrive
    assert info.value.ambiguous and info.value.retryable


async def test_long_texts_are_split_on_sentence_boundaries() -> None:
    body = "".join(
        f"第{n}条：请各位居民注意用电安全，不要在楼道里给电动车充电。" for n in range(60)
    )  # ~4.6 KB
    async with running_fake_wecom() as fake:
        a = adapter(fake.url, secret="split-1")
        await a.send(item("gm1", body=body))
        await a.aclose()
    parts = [d.body for d in fake.received]
    assert len(parts) == 3 and "".join(parts) == body
    assert all(len(p.encode()) <= 2048 and p.endswith("。") for p in parts)


def test_split_text_hard_splits_a_sentence_without_boundaries() -> None:
    text = "一" * 1000  # 3000 bytes, no boundary
    parts = split_text(text, 2048)
    assert "".join(parts) == text and all(len(p.encode()) <= 2048 for p in parts)
    assert split_text("短句。", 2048) == ["短句。"]


async def test_group_robot_webhook_and_bad_key() -> None:
    async with running_fake_wecom(invalid_keys={"badkey"}) as fake:
        robot = RobotAdapter(api_base=fake.url)
        ok = Outbound(
            id=1,
            channel="wecom_bot",
            target_kind="group",
            target="g1",
            body="x" * 3000,
            dedupe_key="k",
            robot_key="key1",
        )
        await robot.send(ok)
        bad = Outbound(
            id=2,
            channel="wecom_bot",
            target_kind="group",
            target="g2",
            body="hi",
            dedupe_key="k2",
            robot_key="badkey",
        )
        with pytest.raises(SendError) as info:
            await robot.send(bad)
        url = fake.new_response_url()
        reply = Outbound(
            id=3,
            channel="wecom_bot",
            target_kind="reply",
            target="g1",
            body="已登记",
            dedupe_key="k3",
            reply_url=url,
        )
        await robot.send(reply)
        with pytest.raises(SendError):  # a response_url takes one call only
            await robot.send(reply)
        await robot.aclose()
    assert info.value.code == 93000 and not info.value.retryable
    assert [len(d.body.encode()) <= 2048 for d in fake.received if d.api == "robot"] == [True, True]
    assert fake.targets("response") and fake.received[-1].payload["msgtype"] == "markdown"


async def test_bridge_send_is_signed_like_inbound_messages() -> None:
    async with running_fake_wecom(bridge_secret="bridge-secret-123") as fake:
        good = BridgeAdapter(send_url=f"{fake.url}/bridge/send", secret="bridge-secret-123")
        await good.send(
            Outbound(
                id=1,
                channel="bridge",
                target_kind="group",
                target="r1@chatroom",
                body="通知",
                dedupe_key="n:1",
                mentions=("wxid_a",),
            )
        )
        bad = BridgeAdapter(send_url=f"{fake.url}/bridge/send", secret="wrong-secret-456")
        with pytest.raises(SendError) as info:
            await bad.send(
                Outbound(
                    id=2,
                    channel="bridge",
                    target_kind="group",
                    target="r1@chatroom",
                    body="x",
                    dedupe_key="n:2",
                )
            )
        await good.aclose()
        await bad.aclose()
    assert fake.received[0].payload == {
        "room_id": "r1@chatroom",
        "text": "通知",
        "mentions": ["wxid_a"],
        "msg_key": "n:1",
    }
    assert not info.value.retryable


async def test_touser_is_split_into_calls_of_at_most_1000_ids() -> None:
    ids = [f"u{n}" for n in range(1500)]
    async with running_fake_wecom() as fake:
        a = adapter(fake.url, secret="many-users-1")
        await a.send(item("|".join(ids), body="全体网格员：今晚8点开会。"))
        await a.aclose()
    assert fake.counters["calls"] == 2 and sorted(fake.targets("message")) == sorted(ids)
    assert max(len(d.payload["touser"].split("|")) for d in fake.received) == 1000
