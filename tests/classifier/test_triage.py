"""``Classifier.may_be_urgent`` (bot/classifier/triage.py): never "no" for a message the classifier finds urgent."""

from __future__ import annotations

from pathlib import Path

from bot.classifier import Classifier, parse_rules
from bot.classifier.training import HELD_OUT_FILES, TRAINING_FILES, labelled_texts

ROOT = Path(__file__).resolve().parents[2]


def corpus() -> list[str]:
    return labelled_texts(TRAINING_FILES + HELD_OUT_FILES)


def test_the_screen_lets_every_urgent_verdict_through_and_rules_out_most_messages() -> None:
    classifier = Classifier.from_path(ROOT / "rules.yaml")
    texts = [*corpus(), "楼道里闻到很浓的媒气味", "救命啊", "着伙了", "电悌卡住了里面有人"]
    assert len(texts) > 3000
    urgent = [t for t in texts if classifier.classify(t).urgent]
    assert len(urgent) > 300
    assert [t for t in urgent if not classifier.may_be_urgent(t)] == []
    ruled_out = sum(not classifier.may_be_urgent(t) for t in texts)
    assert ruled_out / len(texts) > 0.5  # the point of the screen: most messages skip classify
    for chat in ("收到", "谢谢楼栋长", "大家早上好☀️", "已经修好了，谢谢"):
        assert not classifier.may_be_urgent(chat)


RULES = """\
threshold: 1.0
negation: {window: 3, terms: [没有]}
modifiers:
  help: {factor: 1.5, urgent: true, categories: [hazard, security], terms: [救命], patterns: ["快来人+"]}
categories:
  dispute: {keywords: {吵架: 1.0}}
  hazard: {keywords: {漏水: 1.0}, urgent: {着火: 1.0}}
  security: {keywords: {小偷: 1.0}}
  service: {subtypes: {repair: {keywords: {坏了: 1.0}}}}
combos:
  trapped: {category: hazard, urgent: true, weight: 1.2, all: [[电梯, 轿厢], [卡住, 困在, 出不来]]}
aliases:
  着伙: 着火
"""


def test_each_way_to_urgency_is_screened_in() -> None:
    classifier = Classifier(parse_rules(RULES))
    assert classifier.may_be_urgent("3栋着火了")  # an urgent keyword
    assert classifier.may_be_urgent("3栋着伙了")  # through an alias, as the classifier reads it
    assert classifier.may_be_urgent("电梯里有人出不来")  # an urgent combo (one of its groups)
    assert classifier.may_be_urgent("救命")  # an urgent cue group's term ...
    assert classifier.may_be_urgent("快来人人")  # ... and its pattern
    assert not classifier.may_be_urgent("楼上漏水了")
    assert not classifier.may_be_urgent("电梯今天在保养")
