"""Families of round 16 (blind training files of emergencies described indirectly, service
requests phrased many ways, and four new kinds of community) and their off-duty twins.

Each case is a new phrasing, never a labelled message. The emergencies are described, not named:
a child outside a window, food stuck in a throat, a socket lying in water, a rotten-egg smell
with dizziness, a confused elder out alone, a child gone the moment a parent looked away.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import AMBULANCE, FIRE, NONE, POLICE
from tests.classifier.conftest import verdict_of as _verdict

HEALTH = ("service", "health", False)
LEGAL = ("service", "legal", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9栋5楼有个小朋友趴在窗台上往下看 家里好像没人", FIRE),
        ("我家小孩吃汤圆卡住了 脸都憋红了 咋办", AMBULANCE),
        ("车库进水了 墙上的插座泡在水里 还在冒泡", FIRE),
        ("屋里一股臭鸡蛋味 我头晕得厉害", FIRE),
        ("小区门口有个老奶奶穿着睡衣在路口站着 问她家在哪也说不清楚", POLICE),
        ("就买个菜的工夫 一转身就没了 我儿子五岁 穿黄衣服", POLICE),
        ("我妈刚才还好好的 突然手脚不听使唤 话也说不出来", AMBULANCE),
        # A question about one's own trouble asks for the team that handles it.
        ("打羽毛球崴脚了 脚踝肿了 要不要去拍片", HEALTH),
        ("公司拖了两个月工资 还不给交公积金 这种该找谁", LEGAL),
        ("收到法院传票 说我欠信用卡 我根本没办过这张卡", LEGAL),
        # A warning to everyone, a joke, and smoke that was dry ice are not emergencies.
        ("提醒各位家长 窗户要装防护栏 别让孩子趴在窗台上", NONE),
        ("说个笑话 我老公说他被工作困住了 出不来", NONE),
        ("楼下那个白烟是干冰 人家在拍婚纱照", NONE),
        ("煤气味的事查过了 是楼道里刷油漆", NONE),
    ],
)
def test_round16_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
