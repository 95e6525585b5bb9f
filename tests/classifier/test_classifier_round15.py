"""Families of round 15 (three blind training files: indirect reports, six regions, boundaries).

Each case is a new phrasing of a family the round taught, never a labelled message: dialect
spellings that have one standard form, people shut in a lift said without 困, frauds under way
by someone passing for staff, questions that ask a lawyer, and stories that are not reports.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import FIRE, NONE
from tests.classifier.conftest import verdict_of as _verdict

SECURITY = ("security", None, False)
LEGAL = ("service", "legal", False)
REPAIR = ("service", "repair", False)
DISPUTE = ("dispute", None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # People shut in a lift, however it is said; 瓦斯 is gas in the south-east.
        ("7栋电梯把两个老人关里头了 按铃没反应", FIRE),
        ("电梯停在九楼和十楼中间了 里头有个小孩在哭", FIRE),
        ("楼梯间一股瓦斯味 好重 不知道谁家的", FIRE),
        # A stove that will not light is a repair in any dialect.
        ("瓦斯炉点袂着 打了十几下", REPAIR),
        # Fixed, then broken again: a report, however many visits it took.
        ("水管师傅来修了两回还是漏 厨房地上都是水", REPAIR),
        # Someone passing for staff or a company while collecting money is a fraud under way ...
        ("门口有个人说是自来水公司的 要换水表 一户先交两百", SECURITY),
        ("有人自称社区的工作人员 挨家挨户登记老人的银行卡", SECURITY),
        # ... and so are damage done on purpose and strangers casing the building.
        ("一早发现车门被人泼了红油漆 8栋楼下", SECURITY),
        ("这两晚有个男的老在一楼窗户下面转 往屋里看", SECURITY),
        # A forwarded warning about impostors is not.
        ("【转发】警惕冒充燃气公司工作人员上门收费 大家不要轻信", NONE),
        # Questions a lawyer answers: shares of an inheritance, a guarantee, a probation period.
        ("外婆的房子没立遗嘱 我们几个外孙有份吗", LEGAL),
        ("帮朋友做了担保人 现在他还不上了 银行会找我吗 要还吗", LEGAL),
        ("试用期被辞退 公司说不给补偿 这样有依据吗", LEGAL),
        # A neighbour's encroachment is a dispute.
        ("一楼把楼前的草地圈了块菜园子 还围了篱笆 大家都过不去", DISPUTE),
        # Memories, curiosity, a rehearsal and a row already over are not reports.
        ("小时候住大杂院 一个水龙头全院用 天天吵架 现在想想还挺热闹", NONE),
        ("纯好奇 楼上装修一般能装几个月啊", NONE),
        ("刚才楼下吵吵嚷嚷的 原来是广场舞队在排练 下周比赛", NONE),
        ("门口两个人吵了几句 人都散了 没事了", NONE),
        # Dialect "fixed now": 好哒 is 好了.
        ("楼道的灯搞好哒 谢谢物业", NONE),
    ],
)
def test_round15_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected
