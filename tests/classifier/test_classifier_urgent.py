"""Urgent families of the urgent round: each way residents type an emergency pages at once,
and the same words in a drill, a tip, news, a past event or a handled one do not.

The messages come from the round's dev data (appended to classify_train.jsonl), never from a
held-out corpus.
"""

from __future__ import annotations

import pytest

from bot.classifier import ClassifierHolder


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("厨房的火窜上来了 锅盖盖不住 咋整", "hazard"),  # fire spreading
        ("俺家灶台上那个锅烧干了 满屋子烟 报警器一直叫", "hazard"),  # a smoke-filled room
        ("燃气管道被挖断了 在往外喷气 小区东门", "hazard"),  # gas spraying out
        ("楼下媒气味太大了 @网格员 快来看看", "hazard"),  # typo 媒气
        ("电线短路着了", "hazard"),  # short circuit on fire
        ("地下室门坏了 我爸被关里面了 出不来", "hazard"),  # trapped in a room
        ("孩子被锁在车里了 窗户关着 太阳这么大", "hazard"),  # trapped in a car
        ("隔壁独居的爷爷好像没呼吸了 快来人", "service"),  # not breathing
        ("救命 有人掉河里了 小区后面", "service"),  # drowning
        ("孩子喝了消毒液 在吐 怎么办", "service"),  # poisoning
        ("快打120 我妈不行了", "service"),  # a collapse said as 不行了
        ("楼上打得好凶 女的在喊救命 砸东西的声音", "security"),  # a beating
        ("快来人 有人要跳楼", "security"),
        ("我爸是阿尔茨海默 出去买菜到现在找不到人", "security"),  # a confused elder missing
        ("孙子在广场上走散了 五岁 谁看见了", "security"),
        ("有个小男孩一个人在小区门口哭 说找不到妈妈了", "security"),
        ("救命啊 快来人 5栋302", "security"),  # a bare cry for help with a place
    ],
)
def test_emergency_families_are_urgent(holder: ClassifierHolder, text: str, category: str) -> None:
    verdict = holder.classify(text)
    assert (verdict.category, verdict.urgent) == (category, True), verdict.matched


@pytest.mark.parametrize(
    "text",
    [
        "困在电梯里的人已经出来了 谢谢物业",
        "电视里那个火灾好惨",
        "我奶奶摔了一跤 去医院看了 没大碍 谢谢关心",
        "那个走失的老奶奶家属已经接回去了",
        "火灾逃生要用湿毛巾捂住口鼻 弯腰走",
        "今天学了急救 心肺复苏一分钟要按100到120次",
        "孩子走丢了怎么办 教孩子记住爸妈电话",
        "救命 这也太好笑了",
    ],
)
def test_emergency_words_off_duty_are_not_urgent(holder: ClassifierHolder, text: str) -> None:
    verdict = holder.classify(text)
    assert (verdict.category, verdict.urgent) == ("none", False), verdict.matched


@pytest.mark.parametrize(
    ("text", "category", "urgent"),
    [
        ("我爸上个月中风以后腿不利索 想找康复师上门", "service", False),
        ("楼道里老有人抽烟 烟头扔得到处都是 怕引起火灾", "hazard", False),
        ("孩子的疫苗本找不到了 要补种疫苗去哪里 需要带什么", "service", False),
    ],
)
def test_emergency_words_in_non_urgent_reports(
    holder: ClassifierHolder, text: str, category: str, urgent: bool
) -> None:
    verdict = holder.classify(text)
    assert (verdict.category, verdict.urgent) == (category, urgent), verdict.matched
