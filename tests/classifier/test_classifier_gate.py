"""The service gate: a service ticket needs a problem or a request, not just a topic word."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.classifier import Category, Classifier, RulesError, Subtype, parse_rules
from bot.cli.classify import rules_app

ROOT = Path(__file__).resolve().parents[2]

RULES = """\
threshold: 2.0
negation: {window: 4, categories: [hazard], terms: [没, 不需要]}
modifiers:
  request: {factor: 1.0, categories: [service], terms: [麻烦, 谁能]}
  ongoing: {factor: 1.0, terms: [好几天]}
categories:
  dispute: {keywords: {吵架: 3}}
  hazard: {keywords: {电线: 3}}
  security: {keywords: {小偷: 3}}
  service:
    subtypes:
      legal: {keywords: {律师: 3.5}}
      repair: {keywords: {水管: 2, 维修: 3}}
      health: {keywords: {医生: 2.5}, urgent: {晕倒: 6}}
      sanitation: {keywords: {垃圾: 2.5}}
"""

GATE = """\
service_gate:
  factor: 0.3
  needs: [request, ongoing]
  problem: [坏, 漏, 臭]
  request: [帮忙]
  patterns: ['能[^,.!?]{0,6}吗']
"""


def make(gate: str = GATE) -> Classifier:
    return Classifier(parse_rules(RULES + gate, "test.yaml"))


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        parse_rules(RULES + text, "test.yaml")
    return info.value.problems


def test_topic_word_alone_is_not_a_service_ticket() -> None:
    c = make()
    verdict = c.classify("律师")
    assert verdict.category is Category.NONE
    assert "service_gate:no need" in verdict.matched
    # Without the gate the same rules open a ticket: the gate is what decides.
    assert make("").classify("律师").category is Category.SERVICE


@pytest.mark.parametrize(
    ("text", "subtype"),
    [
        ("水管漏了", Subtype.REPAIR),  # a problem term
        ("律师 帮忙看看", Subtype.LEGAL),  # a request term of the gate
        ("麻烦找个律师", Subtype.LEGAL),  # a cue group named in needs
        ("垃圾好几天了", Subtype.SANITATION),  # a duration (ongoing) counts as a need
        ("律师能起诉吗", Subtype.LEGAL),  # a pattern
        ("医生 晕倒", Subtype.HEALTH),  # an urgent service keyword always passes
    ],
)
def test_a_need_lets_the_service_keywords_count(text: str, subtype: Subtype) -> None:
    verdict = make().classify(text)
    assert (verdict.category, verdict.subtype) == (Category.SERVICE, subtype)
    assert "service_gate:no need" not in verdict.matched


def test_a_negated_need_is_no_need() -> None:
    c = make()
    assert c.classify("维修 不需要帮忙").category is Category.NONE
    assert c.classify("维修 需要帮忙").category is Category.SERVICE


def test_the_gate_leaves_other_categories_alone() -> None:
    c = make()
    assert c.classify("电线").category is Category.HAZARD
    assert c.classify("吵架").category is Category.DISPUTE
    assert "service_gate:no need" not in c.classify("电线 律师").matched


def test_gate_validation_reports_each_problem() -> None:
    found = problems(
        "service_gate:\n"
        "  factor: 1.5\n"
        "  needs: [nosuch]\n"
        "  problem: [坏, 坏]\n"
        "  request: [坏]\n"
        "  patterns: ['(?P<x>a)', '']\n"
        "  extra: 1\n"
    )
    text = "\n".join(found)
    assert "service_gate.factor" in text
    assert "unknown cue group 'nosuch'" in text
    assert "duplicate term '坏'" in text
    assert "both a problem and a request term" in text
    assert "named groups" in text
    assert "unknown key 'extra'" in text
    assert all(p.startswith("test.yaml:") for p in found)


def test_an_empty_gate_is_refused() -> None:
    assert any("every service message would be gated" in p for p in problems("service_gate: {factor: 0.3}\n"))


def test_rules_check_counts_the_gate() -> None:
    result = CliRunner().invoke(rules_app, ["check", str(ROOT / "rules.yaml")])
    assert result.exit_code == 0, result.output
    assert "service gate" in result.output


def test_shipped_rules_gate_topic_chatter_but_not_requests() -> None:
    c = Classifier.from_path(ROOT / "rules.yaml")
    for text in ("我也是律师", "社区医院的医生挺好的", "保洁阿姨辛苦了", "楼下新开了一家维修店"):
        assert c.classify(text).category is Category.NONE, text
    for text in ("家里水管漏了 找个师傅", "燃气灶打不着火", "公司拖欠工资 想咨询律师"):
        assert c.classify(text).category is Category.SERVICE, text
