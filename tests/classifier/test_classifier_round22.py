"""Families of round 22: cue words that read wrongly inside a missing-person appeal, hyperbole about
hunger and money, staff introducing themselves, messages typed in traditional characters, the
boundary between a hazard and a repair (a stove that will not light, a hissing cistern, a broken
range hood, a dark stairwell, a lift stuck with nobody in it), quizzes, false alarms told after
the fact, questions of rights about the past or elsewhere, frauds dressed as adverts, one
unanswered knock passed to the grid member, filth in shared spaces, a neighbour spoken to in
vain, and fears, old stories, follow-ups and videos that name a fire.

Each case is a new phrasing of a family the round taught, never a labelled message. The round
changed the rules, so each case holds the rules' own verdict as well as the final one: the report
model covered several of these already, and the rules must not lean on it for them.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import FIRE, NONE, POLICE, rules_verdict_of
from tests.classifier.conftest import verdict_of as _verdict

REPAIR = ("service", "repair", False)
LEGAL = ("service", "legal", False)
HAZARD = ("hazard", None, False)
SANITATION = ("service", "sanitation", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # V不得 is not the notice's 不得 (不得在楼道充电): a confused elder who cannot find the way.
        ("我外公不见了 他认不得路 早上出去的 穿黑棉袄", POLICE),
        # A phone number in an appeal for a missing child is whom to call, not an advert.
        ("寻人 5岁女孩 在广场走丢 红色外套 见到请打13912345678", POLICE),
        # A child's lost belongings are lost-and-found, not a lost child.
        ("孩子的黄色书包落在滑梯旁边了 谁看到了放门卫室 谢谢", NONE),
        # Classmates' parents asked while searching are not "elsewhere".
        ("儿子放学到现在没回来 同学家长说早就分开了 手机关机", POLICE),
        # Hyperbole: hunger and spending.
        ("加班到现在没吃饭 饿得我快要晕过去了", NONE),
        ("工资刚到账 余额就大出血了 哈哈", NONE),
        # A guard introducing himself.
        ("大家好 我是新来的夜班保安老陈 以后晚上巡逻 有事喊我", NONE),
        # Typed in traditional characters.
        ("3座樓道好大煤氣味 快啲嚟人", FIRE),
        ("電梯困咗人 叫極都冇人應", FIRE),
        # A stove's igniter clicking, a cistern hissing, a broken range hood: repairs, not fires or leaks.
        ("厨房的灶打不着火 啪啪响了半天 就是不出火苗", REPAIR),
        ("卫生间马桶水箱老是嘶嘶地响 一晚上都在流水", REPAIR),
        ("油烟机坏了不转 炒个菜一屋子烟 有师傅能来看看吗", REPAIR),
        # The stairwell light is the repair, however dark it is.
        ("三单元楼道灯坏了好几天 晚上一片黑 我妈差点踩空", REPAIR),
        # A lift stuck with nobody inside is reported, not a rescue; with someone inside it pages.
        ("5栋电梯卡在7楼不动了 里面没人 大家先走楼梯", HAZARD),
        ("5栋电梯卡在7楼不动了 我女儿在里面", FIRE),
        # Quizzes, tests announced, false alarms told afterwards.
        ("考考大家 家里油锅起火第一步该怎么做? 答案是盖锅盖", NONE),
        ("周四上午测试消防警铃 听到响声不用紧张", NONE),
        ("半夜一声巨响 还以为爆炸了 原来是隔壁工地在打桩", NONE),
        # A question of rights is about the past or elsewhere by nature, and still a request now.
        ("老家的房子拆迁了 补偿款兄弟们分了 我是嫁出去的闺女 还有没有份", LEGAL),
        # A fraud in progress dressed as an advert: the sender names it.
        ("单元门口有人摆摊说免费领大米 要老人扫码填银行卡 一看就是骗子 人还在", ("security", None, False)),
        # One knock unanswered and the grid member asked to check: a non-urgent welfare check.
        ("敲了楼下刘阿姨的门没人应 估计去买菜了 网格员有空帮着问一下", ("security", None, False)),
        # Filth in shared spaces is sanitation, not a hazard: a choked gully, sewage at a cover, vomit.
        ("单元门口的排水口让塑料袋堵死了 一下雨全是水", SANITATION),
        ("8栋后面窨井盖一直在往外漾臭水 好几天了", SANITATION),
        ("早上电梯里有人吐了一地 到现在没人管", SANITATION),
        # Raised with the neighbour, in vain: a dispute.
        ("对门天天把鞋架摆到我家门口 跟她说了好几回 她还说我事多", ("dispute", None, False)),
        # Fears, old stories, follow-ups and videos are not reports.
        ("我就怕电梯半路卡住 所以每天走楼梯", NONE),
        ("老底子弄堂里一家着火 全弄堂的人都来帮忙", NONE),
        ("前天楼道起火那个事 有结果没", NONE),
        ("刚看了个视频 有人家里充电宝着火了 大家注意", NONE),
    ],
)
def test_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
    assert rules_verdict_of(holder, text) == expected
