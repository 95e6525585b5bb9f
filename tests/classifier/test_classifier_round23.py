"""Families of round 23: a home's own fittings and appliances (a stove that goes out, a breaker that
trips again, a hinge come off), a fever that "burns", fumes breathed earlier and the person better
now, a person overcome by fumes (the hazard outranks the health team's words), litter in the
stairwell, frauds under way with a relative, things going missing, prowlers, beatings heard next
door, elders unseen for days in more words, needs the service gate missed, Cantonese emergencies,
false alarms explained, dramatic stress, an ambulance asked about, sarcastic thanks and late noise.

Each case is a new phrasing of a family the round taught, never a labelled message. The round
changed the rules, so each case holds the rules' own verdict as well as the final one.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import AMBULANCE, FIRE, NONE, POLICE, rules_verdict_of
from tests.classifier.conftest import verdict_of as _verdict

REPAIR = ("service", "repair", False)
HEALTH = ("service", "health", False)
HAZARD = ("hazard", None, False)
SANITATION = ("service", "sanitation", False)
ASSISTANCE = ("service", "assistance", False)
SECURITY = ("security", None, False)
DISPUTE = ("dispute", None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A stove or water heater that lights and goes out, a breaker that trips again: repairs.
        ("煤气灶点着了没几秒又灭 试了好几次 是不是哪里坏了", REPAIR),
        ("卧室空开一推上去又跳 整晚没电 找个电工", REPAIR),
        # A hinge or a curtain rail come off in the home is a repair; one that may fall on people is not.
        ("衣柜门的合页松了 门都耷拉下来了 有师傅吗", REPAIR),
        # A fever "burns": not a fire.
        ("孩子半夜又烧起来了 38度9 家里退烧药吃完了", HEALTH),
        # Someone overcome by fumes now: the hazard, even with the health team's words.
        ("我爸在屋里烧煤炉取暖 刚才晕倒了 叫他没反应 快来人", FIRE),
        # Leftovers and spit in the stairwell are sanitation.
        ("楼梯间不知道谁倒了一袋剩饭 一股馊味", SANITATION),
        # A relative being talked into moving money right now: a fraud in progress.
        ("我爸正在接电话 对方说是检察院的 要他把钱转到安全账户 谁在8栋附近帮我拦一下", SECURITY),
        # Clothes going missing again: theft.
        ("阳台上晾的毛衣又少了一件 这个月第二回了", SECURITY),
        # Someone trying car doors: a suspicious person.
        ("地库有个人挨着拉车门 刚才往B区去了", SECURITY),
        # A woman crying out while being beaten next door: violence in progress.
        ("楼上那家又在砰砰地撞 女的一直喊疼 听着像在挨打", POLICE),
        # An elder unseen for days, in new words: a possible collapse behind the door.
        ("楼下的嗲嗲两天没人影了 屋里灯一直亮 电话不接", AMBULANCE),
        # A need the service gate did not see.
        ("停电了电梯不能坐 我七十多了 一箱牛奶搬不上来 谁能帮一下", ASSISTANCE),
        # Cantonese: a collapse, choking.
        ("阿嫲喺楼下晕咗 叫极都唔应", AMBULANCE),
        # False alarms explained, a fire word in scare quotes, dramatic stress, an ambulance asked about.
        ("刚才楼下有人喊救命 下去一看是小孩在玩捉迷藏", NONE),
        ('这天热得我的手机都"着火"了', NONE),
        ("被领导骂了一下午 我快晕倒了", NONE),
        ("刚才救护车来小区是接谁啊", NONE),
        # Sarcastic thanks for a nightly nuisance, late noise: disputes.
        ("感谢楼上邻居每晚十二点准时表演拖椅子🙂", DISPUTE),
        ("隔壁几个人打牌打到凌晨两点多 吆五喝六的", DISPUTE),
    ],
)
def test_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
    assert rules_verdict_of(holder, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Fumes breathed earlier, better now, asking about a check-up: health, not a page (the rules
        # stand the fumes emergency down; 好多了 still damps them, and the report model keeps it).
        ("前天晚上烤炭盆有点头晕 开窗后好多了 要不要去医院查一下", HEALTH),
        # The boundaries each family keeps: a window hinge high up that may fall on people stays a hazard.
        ("12楼阳台窗户的合页断了 整扇窗歪着 怕掉下去砸人", HAZARD),
        # A pet's mess is the owner's dispute, not the sanitation team's.
        ("3楼那家的狗又在楼道里拉屎 说了几次都不管", DISPUTE),
        # Thanks that are sincere stay thanks.
        ("谢谢楼下阿姨每天帮我们扫楼梯❤️", NONE),
        # A grandmother who has to go to the bank is asking for company, not being scammed.
        ("奶奶要去银行取养老金 腿脚不好 谁能陪她去一趟", ASSISTANCE),
        # What the round's families must not swallow (a review's probes): real emergencies near a
        # workplace word, a temperature or a fire word in quotes, a noise that goes on, an accident
        # with pain, a recovery before fumes, thanks for help, an ambulance that is late.
        ("我爸上班路上突然晕倒了 现在叫不醒", AMBULANCE),
        ("老公加班到半夜 回来就晕倒了 叫不醒", AMBULANCE),
        ("小孩玩火窗帘烧起来了", FIRE),
        ("楼下烧起来了 火很大 外面零下10度", FIRE),
        ("烧炭盆取暖 屋里才12度 我妈叫不醒", FIRE),
        ('楼下有人大喊 "着火了" 快跑', FIRE),
        ("这烟是不是锅炉房着火了 好大的烟", FIRE),
        ("楼上这几天一直响 装修吵死了", DISPUTE),
        ("孩子撞到桌角了 一直喊疼", NONE),
        ("我妈刚出院 在家烧炭盆取暖 现在叫不醒了", FIRE),
        ("感谢楼上邻居凌晨帮忙把我妈背下楼", NONE),
        ("叫了半小时救护车干嘛还不来 我爸还躺着没反应", AMBULANCE),
    ],
)
def test_family_final(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
