"""Families of round 10 (the second urgent training file's errors) and their off-duty twins.

Round 10 also taught the normaliser three things residents do in a hurry: type one character at a
time with spaces (voice input), post an alarm emoji as the whole report, and write an address as
``3-2-501``. Each case is a new phrasing, never a labelled message.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder, load_rules
from bot.classifier.training import Settings
from tests.classifier.conftest import AMBULANCE, FIRE, NONE, POLICE, ROOT
from tests.classifier.conftest import verdict_of as _verdict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Characters typed one by one read like any other message.
        ("楼 下 垃 圾 桶 着 火 了", FIRE),
        ("我 奶 奶 从 床 上 掉 下 来 了 起 不 来", AMBULANCE),
        # An alarm emoji with a place is the report; 🔥 in an advert is decoration.
        ("🔥 5-1-302", FIRE),
        ("🆘 12栋电梯", FIRE),
        ("🚑🚑 东门", AMBULANCE),
        ("火锅店团购 九折 要的接龙🔥🔥🔥", NONE),
        ("烧烤店新菜品🔥 好吃", NONE),
        # Emoji alone, however many, and the word "fire" typed in Latin letters are not a fire.
        ("🔥🔥🔥🔥", NONE),
        ("太棒了🔥🔥🔥🔥🔥🔥", NONE),
        ("3栋 Firefox打不开了", NONE),
    ],
)
def test_hurried_typing_is_read(
    holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]
) -> None:
    assert _verdict(holder, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Someone down: sinking, fainting suddenly; a streamer "fainting" on a live stream is not.
        ("河边有个小孩沉下去了 快来人", AMBULANCE),
        ("老人突然晕了 倒在菜场门口", AMBULANCE),
        ("主播直播里晕倒了 演的吧", NONE),
        ("我要被这道题气晕了", NONE),
        # Hands round a neck; a pinch on a child's cheek is not.
        ("东门口有个男的在掐一个女的脖子", POLICE),
        ("我掐了一下孩子的脸 肉嘟嘟的", NONE),
        # A thief still at the car; a window smashed last night is a theft to follow up.
        ("车窗被砸了 那个人还没走 在里面翻东西", POLICE),
        ("我的车窗昨天被砸了 人早跑了", ("security", None, False)),
        # A real gas cylinder about to explode; "I'm about to explode" over homework.
        ("煤气罐要爆炸了 快跑", FIRE),
        ("这个作业我要原地爆炸了", NONE),
        # How-to questions about emergencies are not emergencies.
        ("被困电梯要打哪个电话", NONE),
        ("电动车电池着火能用水浇吗", NONE),
    ],
)
def test_urgent_families_and_their_off_duty_twins(
    holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]
) -> None:
    assert _verdict(holder, text) == expected


def test_the_shipped_model_is_trained_with_the_chosen_settings() -> None:
    # Chosen by leave-one-file-out over seven files (bench/model_cv.py, docs/classification.md):
    # `weigrid rules train` with the defaults writes what ships.
    model = load_rules(ROOT / "rules.yaml").model
    settings = Settings()
    assert model is not None and model.urgent is not None and model.kinds is not None
    assert (model.threshold, model.promote, model.keep, model.hold, model.min_length) == (
        settings.threshold,
        settings.promote,
        settings.keep,
        settings.hold,
        settings.min_length,
    )
    assert model.urgent.promote == settings.urgent_promote
    assert model.urgent.targets == {"hazard", "security", "service.health"}
    assert len(model.kinds.scorers) == 8
