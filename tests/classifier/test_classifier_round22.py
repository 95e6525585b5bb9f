"""Families of round 22: cue words that read wrongly inside a missing-person appeal, hyperbole about
hunger and money, staff introducing themselves, and messages typed in traditional characters.

Each case is a new phrasing of a family the round taught, never a labelled message. The round
changed the rules, so each case holds the rules' own verdict as well as the final one: the report
model covered several of these already, and the rules must not lean on it for them.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import FIRE, NONE, POLICE
from tests.classifier.conftest import verdict_of as _verdict


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
    ],
)
def test_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
    _norm, by_rules = holder.current.rules_view(text)
    assert (
        by_rules.category.value,
        by_rules.subtype.value if by_rules.subtype else None,
        by_rules.urgent,
    ) == expected
