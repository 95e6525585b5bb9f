"""Families of round 18 (blind training files of emergencies in hard-to-read voices, a month of
group life, service requests in the voices that type worst, and Wu and central-plains voices).

Each case is a new phrasing, never a labelled message: fumes from a heater with someone dizzy,
a child out of a window, a person dragged into a car, a person who cannot be roused, repairs said
plainly, Wu spellings, and follow-ups of an emergency that is over.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import AMBULANCE, FIRE, NONE, POLICE
from tests.classifier.conftest import verdict_of as _verdict

REPAIR = ("service", "repair", False)
SECURITY = ("security", None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("屋里生着蜂窝煤炉子 我婆婆说头晕想吐 窗户都关着的", FIRE),
        ("对面楼有个小娃挂在外面 手扒着防盗窗 快去人", FIRE),
        ("车棚那边有人往车里拽一个小姑娘 她在哭", POLICE),
        ("我家进人了 我在门口听到里屋有人翻东西", POLICE),
        ("楼下王大爷躺在花坛边 喊他不理 脸发青", AMBULANCE),
        # Repairs said plainly, and Wu spellings of "not" and "to death".
        ("卫生间排风扇不转了 一洗澡全是水汽", REPAIR),
        ("楼道那盏灯一个多月没亮了 @物业", REPAIR),
        ("有人讲是物业的 挨家收钱 我已经付了两百 后来发现物业根本没这回事", SECURITY),
        # The follow-ups of an emergency that is over.
        ("救护车来了 已经抬上去了 大家让让路", NONE),
        ("燃气公司来看过了 阀门没问题 虚惊一场", NONE),
        ("说个笑话 我被我家两只猫困住了 起不来", NONE),
    ],
)
def test_round18_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
