"""Families and the engine fix of round 6 (false tickets on unseen hard negatives).

Each case is a phrasing from the round's dev rounds (appended to classify_train.jsonl) or a
new phrasing of the same family, never a held-out message. Every new damping cue sits next to
a live report that uses the same words (its twin), which must stay a report.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder
from tests.classifier.conftest import verdict_of as _verdict

# --- engine -----------------------------------------------------------------------------


def test_the_inside_a_number_check_is_per_term_not_per_cue_group(holder: ClassifierHolder) -> None:
    # The alarm group holds 快打120; that must not make 救命 digit-bound: "救命3栋…" is a cry.
    verdict = holder.classify("救命3栋着火了")
    assert (verdict.category.value, verdict.urgent) == ("hazard", True)
    assert "alarm:救命" in verdict.matched
    # The neutral group holds 120还没到; its 灯也灭了 still hides 灭了 (resolved) before a digit.
    assert _verdict(holder, "电梯里出不来了 灯也灭了2单元") == ("hazard", None, True)
    # And a digit-edged term itself still does not match inside a longer number.
    assert _verdict(holder, "楼上1202每天半夜还在拖椅子 说了几次不听") == ("dispute", None, False)


# --- new hard negatives and their live twins ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A found pet to collect vs a neighbour's dog fouling the door.
        ("谁家的小黑狗在我家门口趴着 快来领回去", ("none", None, False)),
        ("谁家的狗天天在我家门口拉屎 说了也不管", ("dispute", None, False)),
        # A figure of speech vs a real fire.
        ("这麻辣烫辣得我嗓子冒烟", ("none", None, False)),
        ("我老公做饭跟打仗似的 厨房一团糟", ("none", None, False)),
        ("不是开玩笑 5栋楼道真的着火了 快打119", ("hazard", None, True)),
        ("开玩笑的 我家没着火 是在烤肉", ("none", None, False)),
        # A film vs a lift with someone in it.
        ("昨晚那部电影里有人被困在电梯里 看得我好紧张", ("none", None, False)),
        ("电梯卡住了 我被困在里面 3栋", ("hazard", None, True)),
        # The sender's workplace vs the estate.
        ("我们单位门口天天有人吵架", ("none", None, False)),
        ("楼下天天有人吵架 吵到半夜", ("dispute", None, False)),
        # Praise for a named helper vs a repair that failed again.
        ("物业的李师傅人真好 每次都来得很快", ("none", None, False)),
        ("物业的师傅来修了三次还是漏 又开始滴水了", ("service", "repair", False)),
        # A scam call hung up on vs one obeyed.
        # A false ticket from round 10 (promoted at P 0.75) until round 12 raised promote to 0.85.
        ("有人打电话说我医保卡被冻结 我直接挂了", ("none", None, False)),
        ("有人打电话说我医保卡被冻结 我按他说的转了三千", ("security", None, False)),
        # A tip from experience vs the same fault reported.
        ("水龙头滴水的话先把阀门关一下 拧紧就好了", ("none", None, False)),
        ("水龙头一直滴水 关不紧 能不能派人来修", ("service", "repair", False)),
        ("上次就是这样 楼上漏水漏到我家 这回又漏了", ("dispute", None, False)),
        # The sender's own cooking gone wrong vs a thick smell of burning in the stairwell.
        ("今天学烤面包 全烤焦了 屋里一股糊味 哈哈", ("none", None, False)),
        ("楼道里一股很浓的焦糊味 不知道谁家的", ("hazard", None, True)),
        # A past stroke, recovered, vs stroke signs now.
        ("我妈中风以后说话一直有点含糊 现在恢复得挺好", ("none", None, False)),
        ("我妈刚才突然说话含糊 嘴有点歪", ("service", "health", True)),
        # A card game vs several people beating one.
        ("好几个人围着他打牌 热闹得很", ("none", None, False)),
        ("停车场那边好几个人围着他打 快报警", ("security", None, True)),
        # Everyday company vs a stranger following someone home.
        ("有个人跟着广场舞队学跳舞 跳得可好了", ("none", None, False)),
        ("有个陌生男的一直跟着我进了单元门", ("security", None, False)),
        # A visiting service announced vs an elder living alone not seen for days: since round 20
        # a possible collapse behind the door (urgent health, as most labelled data says; it was a
        # non-urgent security welfare check before). One unanswered knock stays a welfare check.
        ("独居老人的上门服务下周开始 需要的登记", ("none", None, False)),
        ("对门的独居大爷两天没见人了 电话也不接", ("service", "health", True)),
        # The aftermath of a past fire, thanked for, vs a fire now.
        ("去年着火后 社区帮我们申请了救助 现在都好了 谢谢", ("none", None, False)),
        ("救命 厨房的油锅着了 盖都盖不住", ("hazard", None, True)),
        # The distant past vs a live report.
        ("我们那时候经常停电 现在好多了", ("none", None, False)),
        # A spill that made people slip is a cleaning job; a fall now is an emergency.
        ("楼道里那摊油一直没人清 已经滑倒好几个人了", ("service", "sanitation", False)),
        ("我妈在楼道里滑倒了 起不来", ("service", "health", True)),
        # A crime-wave notice vs a victim of it.
        ("派出所通报最近入室盗窃多发 大家锁好门", ("none", None, False)),
        ("最近入室盗窃多发 昨晚我家就被撬了", ("security", None, False)),
        # Instructions to everyone vs a report.
        ("大家出门的时候把窗户关好 今晚有大风", ("none", None, False)),
        ("大家的电动车别往楼道里推了 消防检查要罚款的", ("none", None, False)),
        # The sender's own pet breaking things vs a neighbour's pet.
        ("我家猫把鱼缸打碎了 水流了一地 哈哈", ("none", None, False)),
        ("楼上的狗把我家门口的鞋咬坏了 主人也不管", ("dispute", None, False)),
        # A parcel taken by someone else is not "already done".
        ("快递被人取走了 不是我取的 驿站说监控坏了", ("security", None, False)),
        # Asking for mediation with a landlord stays a dispute.
        ("房东不退押金 还说我弄坏了东西 想请社区调解", ("dispute", None, False)),
    ],
)
def test_round6_family(holder: ClassifierHolder, text: str, expected: tuple[str, str | None, bool]) -> None:
    assert _verdict(holder, text) == expected


def test_required_verdicts_still_hold(holder: ClassifierHolder) -> None:
    # Verdicts other tests and the issue rely on; round 6 must not move them.
    assert _verdict(holder, "3栋楼道里有人拉飞线给电动车充电")[0] == "hazard"
    assert _verdict(holder, "楼道里闻到很浓的煤气味") == ("hazard", None, True)
    assert _verdict(holder, "5单元门口的垃圾好几天没人清理了，臭得很") == ("service", "sanitation", False)
    assert _verdict(holder, "楼上漏水把我家天花板泡了")[0] == "dispute"
    assert _verdict(holder, "燃气灶打不着火") == ("service", "repair", False)
    for text in ["收到", "谢谢楼栋长", "大家早上好☀️", "已经修好了，谢谢", "大家的电动车记得不要在楼道充电哦"]:
        assert _verdict(holder, text)[0] == "none", text
