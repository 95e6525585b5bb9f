"""The generalising machinery: typo aliases, contrast resets, combos, safety-first ranking.

Unit tests use small rule sets so each mechanism is tested alone; the last tests check the
shipped rules.yaml on phrasings that no single keyword covers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.classifier import Category, Classifier, RulesError, Subtype, parse_rules

RULES = Path(__file__).resolve().parents[2] / "rules.yaml"

SMALL = """\
threshold: 2.0
aliases: {媒气: 煤气, 楼到: 楼道}
negation: {window: 4, terms: [没有]}
combos:
  trapped_lift: {category: hazard, urgent: true, weight: 5, all: [[电梯], [卡住, 在里面]]}
  person_down: {category: service, subtype: health, urgent: true, weight: 5, all: [[老人], [倒在]]}
modifiers:
  resolved: {factor: 0.15, terms: [感谢, 修好了]}
  contrast: {factor: 1.0, resets: true, terms: [另外, 不过]}
  maybe: {factor: 0.15, scope: clause, terms: [万一]}
categories:
  dispute: {keywords: {吵架: 3}}
  hazard: {keywords: {楼道: 0.5}, urgent: {煤气味: 5, 烟味: 1.5}}
  security: {keywords: {针头: 3}}
  service:
    subtypes:
      sanitation: {keywords: {垃圾: 3}}
      repair: {keywords: {灶台: 2, 阀门: 2, 油烟机: 2}}
"""


@pytest.fixture(scope="module")
def small() -> Classifier:
    return Classifier(parse_rules(SMALL, "small.yaml"))


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    return Classifier.from_path(RULES)


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        parse_rules(text, "bad.yaml")
    return info.value.problems


def test_aliases_rewrite_typos_before_matching(small: Classifier) -> None:
    verdict = small.classify("楼到里有股媒气味")
    assert (verdict.category, verdict.urgent) == (Category.HAZARD, True)
    assert "煤气味" in verdict.matched


def test_contrast_drops_damping_cues_said_before_it(small: Classifier) -> None:
    assert small.classify("感谢物业 门口的垃圾没人收").category is Category.NONE
    assert small.classify("感谢物业 另外门口的垃圾没人收").category is Category.SERVICE
    # A damping cue after the contrast still counts.
    assert small.classify("楼上吵架 不过已经修好了").category is Category.NONE


def test_combo_fires_only_when_every_group_is_present(small: Classifier) -> None:
    trapped = small.classify("电梯在七楼停了 我老婆和孩子在里面")
    assert (trapped.category, trapped.urgent) == (Category.HAZARD, True)
    assert "电梯+在里面" in trapped.matched
    assert small.classify("电梯在七楼停了").category is Category.NONE
    down = small.classify("有个老人倒在单元门口")
    assert (down.category, down.subtype, down.urgent) == (Category.SERVICE, Subtype.HEALTH, True)


def test_combo_respects_negation_and_what_if(small: Classifier) -> None:
    assert small.classify("没有老人倒在门口").category is Category.NONE
    assert small.classify("万一电梯卡住怎么办").category is Category.NONE


def test_emergency_cue_outranks_a_larger_sum_of_everyday_words(small: Classifier) -> None:
    verdict = small.classify("厨房一股煤气味 灶台关着的 阀门也关了 不敢开油烟机")
    assert (verdict.category, verdict.urgent) == (Category.HAZARD, True)


def test_a_weak_urgent_cue_alone_does_not_make_a_report_urgent(small: Classifier) -> None:
    verdict = small.classify("车里有人吸东西 烟味怪怪的 地上有针头")
    assert (verdict.category, verdict.urgent) == (Category.SECURITY, False)


def test_alias_and_combo_validation() -> None:
    bad = SMALL.replace("{媒气: 煤气, 楼到: 楼道}", "{媒气: 媒气味, 楼到: 3}")
    found = problems(bad)
    assert any("contains the alias itself" in p for p in found)
    assert any("replacement must be a non-empty string" in p for p in found)
    bad = SMALL.replace("category: service, subtype: health,", "category: service,")
    assert any("needs a valid subtype" in p for p in problems(bad))
    bad = SMALL.replace("all: [[电梯], [卡住, 在里面]]", "all: [[电梯]]")
    assert any("at least two term lists" in p for p in problems(bad))
    bad = SMALL.replace("category: hazard, urgent: true", "category: fire, urgent: true")
    assert any("combos.trapped_lift.category" in p for p in problems(bad))


@pytest.mark.parametrize(
    ("text", "category", "subtype", "urgent"),
    [
        ("电梯在七楼卡住了 我老婆和孩子在里面 按警铃没人理", Category.HAZARD, None, True),
        ("厨房突然一股很冲的煤气味 灶台关着的 我把阀门关了 现在不敢开抽油烟机", Category.HAZARD, None, True),
        ("楼下有个大爷走着走着突然就瘫在地上了 怎么喊都不醒", Category.SERVICE, Subtype.HEALTH, True),
        ("我儿子下午出去踢球到现在没回 电话关机 平时不会这样", Category.SECURITY, None, True),
        ("感谢物业昨天来修 另外3栋门口的垃圾没人收了", Category.SERVICE, Subtype.SANITATION, False),
        (
            "独居的李大爷家里的灯泡坏了 他自己爬不上去 谁能去帮着换一下",
            Category.SERVICE,
            Subtype.ASSISTANCE,
            False,
        ),
        (
            "邻居家的狗咬了我孩子 打疫苗花了两千多 他们不肯赔 我想走法律程序",
            Category.SERVICE,
            Subtype.LEGAL,
            False,
        ),
        ("我家的推拉门滑不动了 轨道好像变形了", Category.SERVICE, Subtype.REPAIR, False),
    ],
)
def test_shipped_rules_cover_phrasings_without_a_single_keyword(
    shipped: Classifier, text: str, category: Category, subtype: Subtype | None, urgent: bool
) -> None:
    verdict = shipped.classify(text)
    assert (verdict.category, verdict.subtype, verdict.urgent) == (category, subtype, urgent)


@pytest.mark.parametrize(
    "text",
    [
        "请问社区医院周末上班吗",
        "万一被困在电梯里该怎么办 有没有人知道",
        "没有闻到燃气味 是楼下在炖肉",
        "昨晚打雷把我家狗吓得一直叫 不好意思吵到大家了",
        "刚才楼下好像有人在吵 不过现在安静了",
        "孩子的疫苗本找不到了 要补种疫苗去哪里",
        "帮助",
    ],
)
def test_shipped_rules_keep_questions_apologies_and_false_alarms_out(shipped: Classifier, text: str) -> None:
    assert shipped.classify(text).category is Category.NONE
