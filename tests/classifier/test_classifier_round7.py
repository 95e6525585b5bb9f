"""Families of round 7 (held-out 7's errors, now tuning data) and the short reports.

Each case is a new phrasing of a family, never a held-out message. Urgent families sit next to
their off-duty twins (a figure of speech, a chronic state, hearsay), and every new neutral or
damping cue next to a live report that uses the same words, which must stay a report.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import verdict_of as _verdict

HEALTH_URGENT = ("service", "health", True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A stove flame gone out with a gas smell is the leak, not a fire put out.
        ("灶上的火突然灭了 闻到一股煤气味", ("hazard", None, True)),
        ("燃气灶的火苗灭了 屋里全是燃气味 我先开窗了", ("hazard", None, True)),
        # No answer at the door but a moan or a shout inside is a health emergency ...
        ("敲门没人应 听见王大爷在里面呻吟", HEALTH_URGENT),
        ("对门李奶奶电话也不接 敲门没人开 隔着门听到她在里面喊", HEALTH_URGENT),
        # ... while no answer alone is a welfare check (security, not paged).
        ("敲门没人应 王大爷估计出去遛弯了", ("security", None, False)),
        # A child who ran away is missing; the same words from a TV series are not a report.
        ("我闺女离家出走了 两个小时了", ("security", None, True)),
        ("电视剧里那个女孩离家出走了 看哭了", ("none", None, False)),
        # Drooling: a stroke sign, or a neighbour's cooking.
        ("我爸突然嘴歪 一直流口水 说话都不清楚了", HEALTH_URGENT),
        ("隔壁炖的排骨香得我直流口水", ("none", None, False)),
        # 救救 for a thing is a figure of speech; for a child it is a cry for help.
        ("救救我的发际线吧", ("none", None, False)),
        ("救救我的孩子 他掉水里了", HEALTH_URGENT),
        ("救命 有个孩子在水里扑腾", HEALTH_URGENT),
        ("小区游泳池开了 孩子在水里泡了一下午", ("none", None, False)),
        # Mislaid keys are not a confused elder gone missing; a confused elder gone is.
        ("我爸有痴呆 早上出门到现在找不到人", ("security", None, True)),
        # Bedridden or after a stroke: a lasting state, not an emergency; down and not waking is.
        ("我奶奶瘫在地上叫不醒", HEALTH_URGENT),
        ("我爸中风了 半边身子不能动 快打120", HEALTH_URGENT),
        # 1单元一楼 is an address, not a price (元一): the cry for help still pages.
        ("2单元一楼有人晕倒了 快来人", HEALTH_URGENT),
        # Asking for the lift maintainer's number is not a maintenance notice.
        ("电梯卡在三楼 里面有人 谁有维保电话", ("hazard", None, True)),
    ],
)
def test_urgent_families_and_their_off_duty_twins(
    holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]
) -> None:
    assert _verdict(holder, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我妈最近钥匙老是找不着 是不是有点痴呆了 想带她查查",
        "我奶奶瘫在床上好几年了 想申请上门护理",
        "我中风以后半边身子不利索 社区有没有康复的地方",
    ],
)
def test_lasting_conditions_do_not_page(holder: ClassifierHolder, text: str) -> None:
    verdict = holder.classify(text)
    assert verdict.category.value == "service" and not verdict.urgent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A smoke detector to collect vs one going off.
        ("烟雾报警器在哪领 免费的吗", ("none", None, False)),
        # Since round 13 the urgent stage pages it: a detector sounding with a burning smell now is
        # a fire until someone has looked (it was a non-urgent hazard before).
        ("楼道的烟雾报警器一直在响 还有焦味", ("hazard", None, True)),
        # An escape route locked or blocked is a hazard (a what-if fire in it does not page).
        ("消防通道被锁了 着火了往哪跑", ("hazard", None, False)),
        ("安全出口被杂物堵死了 一直没人管", ("hazard", None, False)),
        # Hearsay from a short-video app, a false alarm explained, the sender's youth.
        ("视频号里看到有个小区电梯掉下来了 吓人", ("none", None, False)),
        ("我还以为谁家着火了 结果是楼下在烧烤", ("none", None, False)),
        ("我年轻的时候在厂里天天跟人打架", ("none", None, False)),
    ],
)
def test_hard_negatives_and_their_live_twins(
    holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]
) -> None:
    assert _verdict(holder, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电梯坏了", ("service", "repair", False)),
        ("下水道堵了", ("service", "repair", False)),
        ("楼道灯不亮", ("service", "repair", False)),
        ("楼上又漏水了", ("dispute", None, False)),
        ("有人打架了!", ("security", None, True)),
        ("3栋冒烟了", ("hazard", None, True)),
        # Short reports the model has not seen: the 12-character guard keeps them (without it
        # the model vetoes these at P 0.03-0.13).
        ("空调漏水", ("service", "repair", False)),
        ("屋顶漏雨", ("service", "repair", False)),
        ("收到谢谢", ("none", None, False)),
        ("电梯修好了", ("none", None, False)),
    ],
)
def test_short_reports_and_short_chit_chat(
    holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]
) -> None:
    assert _verdict(holder, text) == expected
