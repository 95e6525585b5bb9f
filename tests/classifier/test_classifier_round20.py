"""Families of round 20 (four blind training files: the heating season in the north, a Jiang-Huai
week, hard negatives that are replies, advice and figures of speech, and two tropical communities).

Each case is a new phrasing of a family the round taught, never a labelled message: a person
overcome by fumes is an urgent hazard (the source is dealt with first, whoever treats the person),
a lost pet is lost-and-found while a child lost with a dog is a missing child, asking how someone
else's report ended is not a new report, and the winter emergencies said without a dramatic word.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import FIRE, NONE, POLICE
from tests.classifier.conftest import verdict_of as _verdict


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Someone overcome by fumes now: a hazard, however much the text says about the person.
        ("我婆婆在屋里烤炭盆 现在喊她不应了 嘴唇红红的 快来人 6栋一单元", FIRE),
        ("煤炉子烧了一宿 早上俺爹起不来了 叫不醒 120在路上了", FIRE),
        ("屋里烟腾腾的 我奶说头迷糊 站都站不住", FIRE),
        # A pet is lost-and-found; a child lost together with a dog is a missing child.
        ("我家泰迪跑丢了 灰色的 谁看见吱一声 谢谢", NONE),
        ("孩子和狗一起走丢了 快帮忙找找 3栋的", POLICE),
        # How did someone else's report end? Not a new report.
        ("上礼拜车库冒烟那个事 后来查出来啥原因了吗", NONE),
        ("群里谁说的有人打架 在哪啊 我们这边挺安静", NONE),
        # Winter emergencies said plainly.
        ("电线被雪压断了掉在路上 还在滋火 5栋后面", FIRE),
        ("他二话不说上来就给我一拳 现在还堵着车门", POLICE),
        ("我家孙子放学还么到家 电话手表也打不通 七点了", POLICE),
        ("电梯停了 我妈在里头 喊她也不吭声 八号楼", FIRE),
        # Long ago is not now.
        ("前年楼道里着过一次火 那会儿吓死人了", NONE),
    ],
)
def test_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
