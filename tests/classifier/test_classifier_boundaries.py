"""The hard boundaries from issue 3, each as a test against the shipped rules.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.classifier import Category, Classifier, Subtype

RULES = Path(__file__).resolve().parents[2] / "rules.yaml"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_path(RULES)


@pytest.mark.parametrize(
    "text",
    [
        "大家的电动车记得不要在楼道充电哦",
        "已经修好了，谢谢",
        "收到",
        "大家好🌹",
        "谢谢楼栋长[抱拳]",
        "消防演练，着火了请有序撤离",
        "转发：警惕冒充公检法诈骗 反诈宣传",
    ],
)
def test_not_a_report(classifier: Classifier, text: str) -> None:
    assert classifier.classify(text).category is Category.NONE


def test_gas_smell_is_urgent_hazard(classifier: Classifier) -> None:
    verdict = classifier.classify("楼道里闻到很浓的煤气味")
    assert (verdict.category, verdict.urgent) == (Category.HAZARD, True)
    assert "煤气味" in verdict.matched


def test_stove_that_will_not_light_is_repair(classifier: Classifier) -> None:
    verdict = classifier.classify("燃气灶打不着火")
    assert (verdict.category, verdict.subtype, verdict.urgent) == (Category.SERVICE, Subtype.REPAIR, False)


def test_housework_for_elderly_is_assistance(classifier: Classifier) -> None:
    verdict = classifier.classify("@楼栋长 帮5栋独居的王奶奶打扫一下卫生吧 她腿脚不便")
    assert verdict.subtype is Subtype.ASSISTANCE


def test_quarrel_is_dispute_but_blows_are_urgent_security(classifier: Classifier) -> None:
    quarrel = classifier.classify("楼上两口子吵架")
    fight = classifier.classify("楼上两口子打起来了 快来人")
    assert (quarrel.category, quarrel.urgent) == (Category.DISPUTE, False)
    assert (fight.category, fight.urgent) == (Category.SECURITY, True)
