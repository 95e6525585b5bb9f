"""Families of round 9 (the urgent training file's errors) and their off-duty twins.

Each case is a new phrasing of a family, never a labelled message. Every urgent family sits next
to a twin that shares its words but is not an emergency now (a theft found afterwards, a pet or a
purse looked for, a gas alarm that has stopped, a person lying down to watch TV), and every new
damping cue next to a live report that must stay one.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import AMBULANCE, FIRE, NONE, POLICE
from tests.classifier.conftest import verdict_of as _verdict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A thief still at it: urgent. Found afterwards, or "there are thieves about": not urgent.
        ("2栋车棚有个人正在撬电瓶车的锁 快来人", POLICE),
        ("我家进贼了 贼人还在里面 我在楼下不敢上去", POLICE),
        ("我看到一个人正在从二楼窗户爬进去", POLICE),
        ("上周车棚有电瓶被撬了 监控拍到了", ("security", None, False)),
        # "Has anyone seen a little girl?" is a missing child; a cat or a purse is not.
        ("有没有人看到一个穿红衣服的小女孩 五岁 刚才还在广场", POLICE),
        ("有没有人看到我家的橘猫 胖胖的", NONE),
        ("有没有人看到一个黑色钱包 老人掉的", NONE),
        # A child led away by a stranger; by the teacher, to a contest, is nothing.
        ("孩子被人带走了 是个不认识的阿姨", POLICE),
        ("孩子被老师带走了 去参加比赛", NONE),
        # An elder who has not come back up, or wandered off; a son out playing is not missing.
        ("老太太中午出门买菜 到现在还没上来 电话也不接", POLICE),
        ("我爸又跑出去了 他有老年痴呆", POLICE),
        ("我儿子跑出去玩了 晚饭前回来", NONE),
        # A live fault that has just shocked someone pages; a warning to keep away does not.
        ("楼下的配电箱漏电 刚才我家狗被电了一下", FIRE),
        # A gas alarm sounding now pages; one that sounded once and stopped does not.
        ("家里燃气报警器在响 我在单位回不去 8栋501", FIRE),
        # Smoke getting thicker is a fire; prices getting higher are not.
        ("楼道里烟味越来越浓 不知道哪里着了", FIRE),
        ("这个月菜价越来越贵", NONE),
        # Heavy bleeding, a road accident, a pregnancy bleeding, someone lying in the stairwell.
        ("有人被车撞了 躺在东门口 流了好多血", AMBULANCE),
        ("我怀孕六个月 刚才见红了 老公出差了", AMBULANCE),
        ("楼道里躺着一个老大爷 叫他不应", AMBULANCE),
        ("我爸在床上躺着看电视呢", NONE),
    ],
)
def test_urgent_families_and_their_off_duty_twins(
    holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]
) -> None:
    assert _verdict(holder, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Dreams and figures of speech ("香炸了", "气得我要炸了") are not fires or explosions.
        ("昨晚做梦梦见楼下着火了 吓死我了", NONE),
        ("这个榴莲香炸了 楼下水果店的", NONE),
        ("气得我要炸了 老公又忘了接孩子", NONE),
        ("楼下配电箱炸了 火星子直冒", FIRE),
        # A smell the gas company has checked, or that has gone, is over; one there now pages.
        ("那个煤气味燃气公司来测过了 是下水道反味 没事了", NONE),
        ("楼道里煤气味很重 还没人来测", FIRE),
        # "The time you call 120, say the building": a tip; calling it now for a person down is not.
        ("打120的时候要说清楚几栋几单元 大家存一下", NONE),
        ("6栋有个老人倒在楼梯口 已经打120了 谁会急救", AMBULANCE),
    ],
)
def test_damping_cues_and_their_live_twins(
    holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]
) -> None:
    assert _verdict(holder, text) == expected


def test_thieves_about_is_not_a_thief_at_work(holder: ClassifierHolder) -> None:
    # The report model may keep it as a security report (a resident worried about thefts); it
    # never pages: nobody is stealing now.
    assert not holder.classify("小区最近小偷多 物业正在排查监控").urgent
