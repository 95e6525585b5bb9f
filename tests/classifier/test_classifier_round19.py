"""Families of round 19 (six blind training files: in-thread replies and quotes, notices and the
reports that look like them, emergencies described rather than named, twelve more regional voices,
stories and jokes that use report words, and Cantonese voices).

Each case is a new phrasing of a family the round taught, never a labelled message: laughter and
report words in scare quotes mark a joke; staff acknowledgements close a report; "not a
misunderstanding" and a question about a smell keep an emergency live; a flame out with the gas
still flowing, someone at a roof edge, something falling onto people, someone not back by dark;
Cantonese as residents type it; and the stories, dreams, votes and settled quarrels that are not
reports.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import AMBULANCE, FIRE, NONE, POLICE
from tests.classifier.conftest import verdict_of as _verdict

DISPUTE = ("dispute", None, False)
HAZARD = ("hazard", None, False)
SANITATION = ("service", "sanitation", False)
HEALTH = ("service", "health", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A laugh (typed, or an emoji the normaliser writes as 哈哈) makes a joke of report words ...
        ("哈哈 我闺女说她的橡皮被同桌偷了 正在写检讨书", NONE),
        ("[笑哭] 老公炒个菜 厨房跟着火了似的", NONE),
        # ... unless help is asked for.
        ("哈哈 说出来不怕你们笑 我家水管又爆了 谁能来帮忙修一下", ("service", "repair", False)),
        # A report word in scare quotes is a figure of speech.
        ('我儿子说我"抢劫"了他的零食', NONE),
        # Staff acknowledgements close a report; "still leaking" reopens it.
        ("收到 已派单 师傅下午到", NONE),
        # "It is not a misunderstanding", and a question about the smell, are live emergencies.
        ("不是误会 我亲眼看见三楼窗户往外冒黑烟", FIRE),
        ("那个味道是煤气吗 好冲 整个楼道都是", FIRE),
        # Someone at a roof edge, something falling onto people, someone not back by dark.
        ("快 有个姑娘坐在楼顶边上 哭着说不想活了", POLICE),
        ("外墙一块水泥掉下来 砸中一个路过的大爷", FIRE),
        ("脚手架倒下来了 压到人了 在5栋旁边", FIRE),
        ("我老伴早上去公园 天黑了还没回 电话也不接", POLICE),
        # Charging indoors, said as residents say it.
        ("又在楼道充了 线直接从家里拉出来", HAZARD),
        # Cantonese: noise, a fire, a brawl, cockroaches, a fall.
        ("楼上日日嘈到半夜 我哋瞓唔着", DISPUTE),
        ("火燭啊 5座后楼梯好大烟", FIRE),
        ("楼下两帮人开片 有人流晒血", POLICE),
        ("曱甴多到不得了 楼梯角成堆 可唔可以喷药", SANITATION),
        ("阿婆跌低咗 起唔到身", AMBULANCE),
        # English typed into a report.
        ("gas smell 好重 in 3栋楼道", FIRE),
        # Stories, dreams, a child's wish, a vote and a settled quarrel are not reports.
        ("那年我们楼停电三天 大家点蜡烛打牌 现在想想还挺好玩", NONE),
        ("昨晚做了个被小偷追的梦 累死", NONE),
        ("儿子说长大要当警察 抓坏人", NONE),
        ("投票：要不要换物业 同意回1 不同意回2", NONE),
        ("前天为车位吵的那两家 昨晚已经说开了", NONE),
        # An itch that keeps someone awake is a health matter, not a noise complaint.
        ("身上起了一片疹子 痒得睡不着 想找社区医生看看", HEALTH),
    ],
)
def test_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected


def test_laughter_gives_way_to_a_relapse_in_the_rules(holder: ClassifierHolder) -> None:
    # The rules keep a laughing report of trouble that is back ("又"). The report model still vetoes
    # this one: every 哈 weighs against a report, and the message is short (docs/classification.md,
    # round 19). A relapse keep group would block the veto, but 又 is in every other joke.
    _norm, by_rules = holder.current.rules_view("楼上又漏水了😂 天花板都黄了 @物业")
    assert (by_rules.category.value, by_rules.urgent) == ("dispute", False)
