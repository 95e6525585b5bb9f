"""Families of round 17 (blind training files of hard negatives in easy-to-misread shapes,
disputes and security reports phrased many ways, and six more regional voices).

Each case is a new phrasing, never a labelled message: a live report wearing a joke's or a
drill's clothes, a figure of speech that is only that, a person not back, a fraud under way.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import AMBULANCE, FIRE, NONE, POLICE
from tests.classifier.conftest import verdict_of as _verdict

DISPUTE = ("dispute", None, False)
SECURITY = ("security", None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "It is not a drill", "this time it is real", "it happened before, but now ...".
        ("真不是演练 6栋楼道全是烟 没人通知过有演练", FIRE),
        ("冷到发抖这回是真冒烟了 锅炉房在冒黑烟", FIRE),
        ("以前也有过 这次特别大 煤气味整个单元都是", FIRE),
        # Someone not back, a wild-mushroom meal gone wrong.
        ("我奶奶下午出去买菜 到现在还没回 手机也没带", POLICE),
        ("吃了山上采的菌子 我爸说看见小人在跳 一直吐", AMBULANCE),
        ("楼上每天晚上十一点开跑步机 咚咚咚的 说了也不听", DISPUTE),
        ("二楼把楼道当自家仓库 旧家具全堆出来了 说了也不听", DISPUTE),
        ("有个人天天拿望远镜往我们楼里看 好几个晚上了", SECURITY),
        ("我爸在一个炒股群里 说是有原始股 已经转了三万", SECURITY),
        ("论文写到头发都要着火了 救救孩子", NONE),
        ("过年吃太多 体重秤都要报警了", NONE),
        ("我家狗把我袜子叼走藏窝里了 小偷本偷", NONE),
        ("刚才说楼下有人撬门 问清楚了 是开锁师傅 业主忘带钥匙", NONE),
    ],
)
def test_round17_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
