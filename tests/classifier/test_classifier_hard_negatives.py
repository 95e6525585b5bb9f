"""Hard negatives: cue shapes (regex patterns), strong damping, thanks-first and 'again'.

Small rule sets test each mechanism alone; the last tests check the shipped rules.yaml on
new phrasings (in no corpus) of ads, offers, thanks, news and reports that look like them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.classifier import Category, Classifier, RulesError, Subtype, parse_rules
from bot.classifier.anchors import anchors
from bot.classifier.normalize import normalize
from bot.classifier.prefilter import ShapeFinder
from bot.classifier.scoring import STRONG_DAMPING, combine
from bot.classifier.training import HELD_OUT_FILES, TRAINING_FILES, labelled_texts

ROOT = Path(__file__).resolve().parents[2]

SMALL = """\
threshold: 2.0
negation: {window: 4, terms: [没有]}
modifiers:
  offer: {factor: 0.15, categories: [service], patterns: ['(可以|就)(找|喊)(我|他)']}
  resolved: {factor: 0.15, unless: [again], terms: [修好了], patterns: ['不(漏|臭)了']}
  thanked: {factor: 0.2, categories: [service], patterns: ['^(谢谢|感谢)']}
  again: {factor: 1.2, terms: [又]}
  elsewhere: {factor: 0.15, terms: [网上看到]}
categories:
  dispute: {keywords: {吵架: 3}}
  hazard: {keywords: {电梯: 1.5}, urgent: {被困: 4.5, 困在: 4.5, 困了: 4.5}}
  security: {keywords: {小偷: 3}}
  service:
    subtypes:
      repair: {keywords: {水管: 2, 漏: 1.5, 跳闸: 3, 电工: 2.5}}
"""


@pytest.fixture(scope="module")
def small() -> Classifier:
    return Classifier(parse_rules(SMALL, "small.yaml"))


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    return Classifier.from_path(ROOT / "rules.yaml")


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as info:
        parse_rules(text, "bad.yaml")
    return info.value.problems


def test_a_pattern_cue_counts_like_a_term(small: Classifier) -> None:
    assert small.classify("家里跳闸了 电工在吗").category is Category.SERVICE
    offer = small.classify("我是电工 跳闸了可以找我")
    assert offer.category is Category.NONE
    assert "offer:可以找我" in offer.matched
    assert small.classify("水管 不漏了").category is Category.NONE


def test_again_cancels_resolved_and_thanks_first_damps_service(small: Classifier) -> None:
    assert small.classify("水管修好了").category is Category.NONE
    assert small.classify("水管修好了 没两天又漏了").category is Category.SERVICE
    assert small.classify("谢谢电工 跳闸修好了").category is Category.NONE
    assert small.classify("电工师傅 跳闸了 谢谢").category is Category.SERVICE  # thanks at the end


def test_strong_damping_counts_the_strongest_cue_fully_and_the_rest_a_quarter() -> None:
    assert combine([2.0, 3.0], 1.0) == 5.0
    assert combine([2.0, 3.0], 0.5) == 5.0
    assert combine([2.0, 3.0, 4.0], STRONG_DAMPING) == 4.0 + 0.25 * 5.0
    assert combine([], 0.1) == 0.0


def test_stacked_urgent_cues_do_not_outweigh_news(small: Classifier) -> None:
    news = small.classify("网上看到有个小孩被困在电梯里 困了一个小时")
    assert news.category is Category.NONE
    live = small.classify("有个小孩被困在电梯里")
    assert (live.category, live.urgent) == (Category.HAZARD, True)


def test_pattern_validation() -> None:
    base = SMALL.split("modifiers:")[0] + SMALL[SMALL.index("\ncategories:") + 1 :] + "modifiers:\n"
    assert any(
        "expected a non-empty list" in p for p in problems(base + "  g: {factor: 0.5, patterns: []}\n")
    )
    assert any("'(坏'" in p for p in problems(base + "  g: {factor: 0.5, patterns: ['(坏']}\n"))
    assert any("named groups" in p for p in problems(base + "  g: {factor: 0.5, patterns: ['(?P<x>坏)']}\n"))
    assert any("empty text" in p for p in problems(base + "  g: {factor: 0.5, patterns: ['坏*']}\n"))
    assert any(
        "takes no patterns" in p
        for p in problems(base + "  g: {factor: 0.5, always: true, patterns: ['坏']}\n")
    )
    parse_rules(base + "  g: {factor: 0.5, patterns: ['坏了']}\n", "ok.yaml")  # patterns alone are enough


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("(可以|就)(找|喊)我", {"可以找我", "可以喊我", "就找我", "就喊我"}),
        ("大家[^,.]{0,6}把", {"大家"}),  # the longer of the two required literals
        (r"\d{3,4}-\d{7,8}", {"-"}),
        ("(?<!是)不是(着|起)火", {"不是着火", "不是起火"}),
        ("已经(?!被人)[^,.]{0,8}(好|走)了", {"已经"}),  # a tie in length: the smaller set
        ("^转(:|发)?", {"转"}),
        ("1[3-9]\\d{9}", {"13", "14", "15", "16", "17", "18", "19"}),
        ("不再?(臭|漏)了", {"臭了", "漏了"}),
        ("(a|b.)c", {"c"}),  # an alternative without a literal run: the common part
        (".{0,3}好", {"好"}),
        ("[^好]+", None),  # nothing certain: the pattern runs on every message
        ("(?i)abc", None),
    ],
)
def test_every_match_of_a_cue_pattern_holds_one_of_its_anchors(
    pattern: str, expected: set[str] | None
) -> None:
    assert anchors(pattern) == (frozenset(expected) if expected is not None else None)


def test_anchors_never_miss_a_shipped_pattern_match() -> None:
    shipped = Classifier.from_path(ROOT / "rules.yaml")
    texts = labelled_texts(TRAINING_FILES + HELD_OUT_FILES)
    for rx, _index in shipped._shapes:
        required = anchors(rx.pattern)
        if required is None:
            continue
        for text in texts:
            match = rx.search(normalize(text))
            if match is not None:
                assert any(a in match.group() for a in required), (rx.pattern, text)


def test_the_gate_never_changes_a_verdict(shipped: Classifier) -> None:
    always = Classifier.from_path(ROOT / "rules.yaml")
    always._shape_finder = ShapeFinder(
        always.rules.modifiers, prefilter=False
    )  # every pattern, every message
    lines = (ROOT / "tests" / "data" / "classify_train.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    assert [shipped.classify(t) for t in texts] == [always.classify(t) for t in texts]


@pytest.mark.parametrize(
    "text",
    [
        "专业疏通下水道 马桶 地漏 电话13912345678",
        "我是退休电工 谁家跳闸了可以喊我",
        "谢谢邻居帮我把米扛上楼",
        "志愿者每天来陪我妈聊天 老人家精神好多了",
        "网上看到有个小孩被困在电梯里 困了一个小时",
        "楼道的杂物已经清走了 挺干净的",
        "保洁阿姨每天都来打扫 楼道干净多了",
    ],
)
def test_shipped_rules_keep_ads_offers_thanks_and_news_out(shipped: Classifier, text: str) -> None:
    assert shipped.classify(text).category is Category.NONE


@pytest.mark.parametrize(
    ("text", "category", "subtype", "urgent"),
    [
        ("谢谢师傅 不过水管又漏了", Category.SERVICE, Subtype.REPAIR, False),
        ("水管修好了 没两天又漏了", Category.SERVICE, Subtype.REPAIR, False),
        ("家里跳闸了 能不能派个电工来看看", Category.SERVICE, Subtype.REPAIR, False),
        ("电梯卡在6楼 有个小孩被困在里面", Category.HAZARD, None, True),
        ("楼下垃圾好几天没清理了 臭烘烘的", Category.SERVICE, Subtype.SANITATION, False),
    ],
)
def test_shipped_rules_still_open_the_reports_that_look_like_them(
    shipped: Classifier, text: str, category: Category, subtype: Subtype | None, urgent: bool
) -> None:
    verdict = shipped.classify(text)
    assert (verdict.category, verdict.subtype, verdict.urgent) == (category, subtype, urgent)
