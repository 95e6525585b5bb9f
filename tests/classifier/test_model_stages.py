"""The report model's stages: urgent (pages what the rules did not, never un-pages) and kinds."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.classifier import Category, Classifier, parse_rules
from bot.classifier.evaluate import Example
from bot.classifier.model import KindStage, LinearScorer, ModelError, ReportModel, UrgentStage
from bot.classifier.model_file import load_model, parse_model
from bot.classifier.training import Settings, train
from bot.classifier.types import Subtype

SMALL = """\
threshold: 1.0
negation: {window: 3, terms: [没有]}
modifiers:
  again: {factor: 1.2, terms: [又]}
  ad: {factor: 0.2, terms: [团购]}
categories:
  dispute: {keywords: {吵架: 1.0}}
  hazard: {keywords: {电线: 1.0, 插座: 0.5}, urgent: {着火: 1.0}}
  security: {keywords: {小偷: 1.0}}
  service: {subtypes: {health: {keywords: {不舒服: 1.0}}, repair: {keywords: {坏了: 1.0}}}}
"""
# The stage's weights: "冒火星" (sparks) is an emergency the rules' urgent cues do not name.
SPARKS = {"火星": 6.0, "冒": 1.0}


def _classifier(
    tmp_path: Path, stage: UrgentStage | None, kinds: KindStage | None = None, promote: float = 2.0
) -> Classifier:
    # A report model that never vetoes (bias +10) and promotes only below 1, plus the stages.
    model = ReportModel({}, 10.0, 0.5, promote, urgent=stage, kinds=kinds)
    (tmp_path / "m.json").write_text(model.to_json(), encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(SMALL + "model: m.json\n", encoding="utf-8")
    return Classifier.from_path(tmp_path / "rules.yaml")


def _stage(
    promote: float = 0.9, targets: frozenset[str] = frozenset({"hazard", "service.health"})
) -> UrgentStage:
    return UrgentStage(LinearScorer(SPARKS, -3.0), promote, targets)


def test_the_stage_pages_a_report_of_a_kind_that_can_be_an_emergency(tmp_path: Path) -> None:
    classifier = _classifier(tmp_path, _stage())
    verdict = classifier.classify("3栋楼道的电线在冒火星")
    assert (verdict.category, verdict.urgent) == (Category.HAZARD, True)
    assert verdict.matched[-1].startswith("model:urgent 0.9")
    assert classifier.may_be_urgent("3栋楼道的电线在冒火星")  # triage must not screen it out
    # Below the stage's threshold: the rules' verdict stands.
    quiet = classifier.classify("3栋楼道的电线有点旧")
    assert (quiet.category, quiet.urgent) == (Category.HAZARD, False)
    assert not classifier.may_be_urgent("3栋楼道的电线有点旧")


def test_the_stage_pages_only_its_targets_and_never_a_non_report(tmp_path: Path) -> None:
    classifier = _classifier(tmp_path, _stage())
    dispute = classifier.classify("楼上吵架 吵得冒火星了")
    assert (dispute.category, dispute.urgent) == (Category.DISPUTE, False)  # dispute is not a target
    chat = classifier.classify("烟花冒火星真好看")
    assert (chat.category, chat.urgent) == (Category.NONE, False)  # no report: nothing to page


def test_the_stage_never_unpages_and_is_off_above_one(tmp_path: Path) -> None:
    hostile = UrgentStage(LinearScorer({"着火": -50.0}, -20.0), 0.5, frozenset({"hazard"}))
    assert _classifier(tmp_path, hostile).classify("2栋着火了").urgent
    off = _classifier(tmp_path, _stage(promote=1.5))
    assert not off.classify("3栋楼道的电线在冒火星").urgent


def test_a_hold_cue_group_keeps_the_stage_from_paging_but_not_the_rules(tmp_path: Path) -> None:
    stage = replace(_stage(), hold=frozenset({"again"}))
    classifier = _classifier(tmp_path, stage)
    assert classifier.classify("3栋楼道的电线在冒火星").urgent  # no hold group in force: pages
    held = classifier.classify("3栋楼道的电线又在冒火星")
    assert (held.category, held.urgent) == (Category.HAZARD, False)
    assert not any(m.startswith("model:urgent") for m in held.matched)
    assert classifier.classify("3栋又着火了").urgent  # the rules' own emergency cue still pages
    back = parse_model(ReportModel({"a": 1.0}, 0.0, 0.5, 0.9, urgent=stage).to_json())
    assert back.urgent is not None and back.urgent.hold == {"again"}


def test_the_stage_round_trips_and_a_bad_section_is_refused() -> None:
    model = ReportModel({"a": 1.0}, 0.0, 0.5, 0.9, urgent=_stage())
    back = parse_model(model.to_json())
    assert back.to_json() == model.to_json()
    assert back.urgent is not None and back.urgent.targets == {"hazard", "service.health"}
    good = json.loads(model.to_json())
    for bad in (
        [],
        {**good["urgent"], "promote": 0},
        {**good["urgent"], "bias": "x"},
        {**good["urgent"], "weights": {"火": float("inf")}},
        {**good["urgent"], "targets": ["dispute"]},
        {**good["urgent"], "targets": []},
        {**good["urgent"], "hold": "benign_guess"},
        {**good["urgent"], "hold": [1]},
    ):
        with pytest.raises(ModelError, match="urgent"):
            parse_model(json.dumps({**good, "urgent": bad}))


def test_training_learns_the_stage_and_its_targets_from_urgent_examples() -> None:
    examples = [
        Example("电线冒火星了 快来人", Category.HAZARD, None, True),
        Example("走廊电线冒火星 噼里啪啦", Category.HAZARD, None, True),
        Example("我爸突然倒地不舒服 快来", Category.SERVICE, Subtype.HEALTH, True),
        Example("电线有点旧 哪天换一下", Category.HAZARD, None, False),
        Example("电线老化了 物业看看", Category.HAZARD, None, False),
        Example("水龙头坏了 麻烦看看", Category.SERVICE, Subtype.REPAIR, False),
        Example("大家早上好", Category.NONE, None, False),
    ]
    rules_only = Classifier(parse_rules(SMALL))
    assert train(rules_only, examples, Settings(min_df=1, prune=0.0, urgent_promote=None)).urgent is None
    model = train(rules_only, examples, Settings(min_df=1, prune=0.0, urgent_promote=0.6))
    assert model.urgent is not None
    assert model.urgent.targets == {"hazard", "service.health"}
    assert model.urgent.promote == 0.6
    assert model.urgent.scorer.weights["火星"] > 0 > model.urgent.scorer.weights["老化"]


# The kind stage: "晕" reads as health, "火" as hazard.
KINDS = KindStage(
    {
        "hazard": LinearScorer({"火": 4.0}, -2.0),
        "security": LinearScorer({"偷": 4.0}, -2.0),
        "service.health": LinearScorer({"晕": 4.0}, -2.0),
    }
)


def test_a_none_the_rules_could_not_place_is_placed_by_the_kind_stage(tmp_path: Path) -> None:
    # The report model says "report" (p ~ 1 >= promote 0.9) and the rules scored nothing.
    classifier = _classifier(tmp_path, None, KINDS, promote=0.9)
    verdict = classifier.classify("3栋 有人 晕 倒")
    assert (verdict.category, verdict.subtype, verdict.urgent) == (Category.SERVICE, Subtype.HEALTH, False)
    assert verdict.matched[-2:][0].startswith("model:report ") and verdict.matched[-1].startswith(
        "model:service.health "
    )
    # Without the stage there is no category to promote to: the rules' none stands.
    assert _classifier(tmp_path, None, None, promote=0.9).classify("3栋 有人 晕 倒").category is Category.NONE


def test_a_bad_kinds_section_is_refused() -> None:
    good = json.loads(ReportModel({"a": 1.0}, 0.0, 0.5, 0.9, kinds=KINDS).to_json())
    assert parse_model(json.dumps(good)).kinds is not None
    for bad in ({}, [], {"fire": {"bias": 0, "weights": {}}}, {"hazard": {"bias": "x", "weights": {}}}):
        with pytest.raises(ModelError, match="kinds"):
            parse_model(json.dumps({**good, "kinds": bad}))


def test_training_learns_one_scorer_per_kind_of_report() -> None:
    examples = [
        Example("电线冒火星了", Category.HAZARD, None, True),
        Example("楼道里着火了", Category.HAZARD, None, True),
        Example("我爸晕倒了", Category.SERVICE, Subtype.HEALTH, True),
        Example("奶奶头晕不舒服", Category.SERVICE, Subtype.HEALTH, False),
        Example("车被偷了", Category.SECURITY, None, False),
        Example("大家早上好", Category.NONE, None, False),
    ]
    rules_only = Classifier(parse_rules(SMALL))
    model = train(rules_only, examples, Settings(min_df=1, prune=0.0, kinds=True))
    assert model.kinds is not None
    assert set(model.kinds.scorers) == {"hazard", "security", "service.health"}
    assert model.kinds.best("他晕了")[:2] == (Category.SERVICE, Subtype.HEALTH)


def test_a_none_the_rules_damped_on_purpose_is_never_promoted(tmp_path: Path) -> None:
    # The report model says "report" everywhere (bias +10, promote 0.5).
    def promoting(hold: frozenset[str]) -> Classifier:
        model = ReportModel({}, 10.0, 0.5, 0.5, hold=hold)
        (tmp_path / "m.json").write_text(model.to_json(), encoding="utf-8")
        (tmp_path / "rules.yaml").write_text(SMALL + "model: m.json\n", encoding="utf-8")
        return Classifier.from_path(tmp_path / "rules.yaml")

    # 插座 (0.5) is below the threshold: promotion places it as hazard ...
    assert promoting(frozenset({"ad"})).classify("插座那边看一下").category is Category.HAZARD
    # ... but not in an advert, which the rules damped on purpose.
    assert promoting(frozenset({"ad"})).classify("插座团购 便宜").category is Category.NONE
    assert promoting(frozenset()).classify("插座团购 便宜").category is Category.HAZARD
    assert parse_model(ReportModel({}, 0.0, 0.5, 0.9, hold=frozenset({"ad"})).to_json()).hold == {"ad"}


def test_a_short_text_the_rules_could_not_place_is_not_promoted(tmp_path: Path) -> None:
    # 4 characters, under min_length 8: too little for the n-grams alone to open a ticket.
    model = ReportModel({}, 10.0, 0.5, 0.9, min_length=8, kinds=KINDS)
    (tmp_path / "m.json").write_text(model.to_json(), encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(SMALL + "model: m.json\n", encoding="utf-8")
    classifier = Classifier.from_path(tmp_path / "rules.yaml")
    assert classifier.classify("火火火火").category is Category.NONE
    assert classifier.classify("楼下那边好大的火 快来").category is Category.HAZARD


@pytest.mark.parametrize(
    "section",
    [
        {"targets": [["hazard"]]},
        {"bias": 10**400},
        {"promote": 10**400},
    ],
)
def test_a_malformed_urgent_section_is_a_model_error(section: dict[str, object]) -> None:
    good = json.loads(ReportModel({"a": 1.0}, 0.0, 0.5, 0.9, urgent=_stage()).to_json())
    with pytest.raises(ModelError, match="urgent"):
        parse_model(json.dumps({**good, "urgent": {**good["urgent"], **section}}))


def test_a_model_file_that_is_not_utf8_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_bytes(b"\xff\xfe{")
    with pytest.raises(ModelError, match="not a UTF-8 text file"):
        load_model(bad)


def test_an_emergency_placed_as_a_kind_that_cannot_be_one_is_re_placed_and_pages(tmp_path: Path) -> None:
    # The rules read "吵架" (a quarrel) and the stage reads sparks: at or above retarget the kind
    # stage re-places it among the targets (hazard, by "火") and it pages.
    stage = UrgentStage(
        LinearScorer(SPARKS, -3.0), 0.9, frozenset({"hazard", "service.health"}), retarget=0.99
    )
    classifier = _classifier(tmp_path, stage, KINDS)
    verdict = classifier.classify("楼上吵架 吵得冒火星了 火星子")
    assert (verdict.category, verdict.subtype, verdict.urgent) == (Category.HAZARD, None, True)
    assert verdict.matched[-2].startswith("model:urgent ") and verdict.matched[-1].startswith("model:hazard ")
    assert classifier.may_be_urgent("楼上吵架 吵得冒火星了 火星子")  # retarget >= promote: triage admits it
    # Below retarget the quarrel stays a quarrel; without retarget it always does.
    calm = classifier.classify("楼上吵架 吵得冒火星了")  # p = 0.98: above promote, below retarget
    assert (calm.category, calm.urgent) == (Category.DISPUTE, False)
    plain = _classifier(tmp_path, _stage(), KINDS).classify("楼上吵架 吵得冒火星了 火星子")
    assert (plain.category, plain.urgent) == (Category.DISPUTE, False)
    # A non-report is never paged by it.
    assert classifier.classify("烟花冒火星真好看 火星子").category is Category.NONE


def test_retarget_round_trips_and_is_checked() -> None:
    stage = UrgentStage(LinearScorer(SPARKS, -3.0), 0.9, frozenset({"hazard"}), retarget=0.95)
    model = ReportModel({"a": 1.0}, 0.0, 0.5, 0.9, urgent=stage, kinds=KINDS)
    back = parse_model(model.to_json())
    assert back.urgent is not None and back.urgent.retarget == 0.95
    assert back.to_json() == model.to_json()
    good = json.loads(model.to_json())
    for bad in ("x", float("nan"), 0.5):  # not a number, not finite, below promote
        with pytest.raises(ModelError, match="retarget"):
            parse_model(json.dumps({**good, "urgent": {**good["urgent"], "retarget": bad}}))
    # Re-placing needs a kind stage that can place among the targets.
    with pytest.raises(ModelError, match="retarget"):
        parse_model(json.dumps({k: v for k, v in good.items() if k != "kinds"}))
    security_only = {"security": good["kinds"]["security"]}
    with pytest.raises(ModelError, match="retarget"):
        parse_model(json.dumps({**good, "kinds": security_only}))


def test_training_sets_retarget_only_with_a_kind_stage() -> None:
    examples = [
        Example("电线冒火星了 快来人", Category.HAZARD, None, True),
        Example("电线有点旧 哪天换一下", Category.HAZARD, None, False),
        Example("我爸突然倒地不舒服 快来", Category.SERVICE, Subtype.HEALTH, True),
        Example("大家早上好", Category.NONE, None, False),
    ]
    rules_only = Classifier(parse_rules(SMALL))
    with_kinds = train(
        rules_only, examples, Settings(min_df=1, prune=0.0, urgent_promote=0.6, urgent_retarget=0.8)
    )
    assert with_kinds.urgent is not None and with_kinds.urgent.retarget == 0.8
    low = train(rules_only, examples, Settings(min_df=1, prune=0.0, urgent_promote=0.6, urgent_retarget=0.5))
    assert low.urgent is not None and low.urgent.retarget == 0.6  # never below promote
    no_kinds = train(rules_only, examples, Settings(min_df=1, prune=0.0, kinds=False))
    assert no_kinds.urgent is not None and no_kinds.urgent.retarget is None


# The rules score 吵架 (dispute, 1.0) and 坏了 (repair, 1.0): a tie the kind stage decides.
CHOOSER = KindStage(
    {
        "dispute": LinearScorer({"赔": 4.0}, -2.0),
        "service.repair": LinearScorer({"修": 4.0}, -2.0),
        "hazard": LinearScorer({"火": 4.0}, -2.0),
    }
)


def _chooser(tmp_path: Path, rechoose: float | None) -> Classifier:
    model = ReportModel({}, 10.0, 0.5, 2.0, kinds=CHOOSER, rechoose=rechoose)
    (tmp_path / "m.json").write_text(model.to_json(), encoding="utf-8")
    rules = SMALL.replace("{吵架: 1.0}", "{吵架: 1.0, 吵死了: 1.5}")
    (tmp_path / "rules.yaml").write_text(rules + "model: m.json\n", encoding="utf-8")
    return Classifier.from_path(tmp_path / "rules.yaml")


def test_the_kind_stage_chooses_between_the_rules_two_best_kinds_when_they_are_close(tmp_path: Path) -> None:
    text_repair, text_dispute = "吵架 坏了 快来修", "吵架 坏了 谁来赔"
    plain = _chooser(tmp_path, None)
    first = plain.classify(text_dispute).category
    choosing = _chooser(tmp_path, 1.0)
    picked = {choosing.classify(t).category for t in (text_repair, text_dispute)}
    assert picked == {Category.DISPUTE, Category.SERVICE}  # the kind stage reads 修 vs 赔
    verdict = choosing.classify(text_dispute if first is Category.SERVICE else text_repair)
    assert verdict.matched[-1].startswith(("model:dispute ", "model:service.repair "))
    # Farther apart (dispute 1.5 against repair 1.0), a margin of 0.1 leaves the rules' choice.
    far = "吵死了 坏了 来修"
    assert plain.classify(far).category is Category.DISPUTE
    assert _chooser(tmp_path, 0.1).classify(far).category is Category.DISPUTE
    assert choosing.classify(far).category is Category.SERVICE
    # Safety first: a hazard is never traded for a repair, however the kind stage reads it.
    assert choosing.classify("电线 插座 坏了 来修").category is Category.HAZARD
    # Only between kinds the rules scored: a lone dispute is never made a hazard.
    assert choosing.classify("吵架 那火气 火火火").category is Category.DISPUTE


def test_rechoose_round_trips_and_needs_a_kind_stage() -> None:
    model = ReportModel({"a": 1.0}, 0.0, 0.5, 0.9, kinds=CHOOSER, rechoose=0.5)
    back = parse_model(model.to_json())
    assert back.rechoose == 0.5 and back.to_json() == model.to_json()
    good = json.loads(model.to_json())
    for bad in ("x", -0.1, 1.5):
        with pytest.raises(ModelError, match="rechoose"):
            parse_model(json.dumps({**good, "rechoose": bad}))
    with pytest.raises(ModelError, match="rechoose"):
        parse_model(json.dumps({k: v for k, v in good.items() if k != "kinds"}))
    examples = [
        Example("电线冒火星了", Category.HAZARD, None, True),
        Example("楼上吵架", Category.DISPUTE, None, False),
        Example("大家早上好", Category.NONE, None, False),
    ]
    rules_only = Classifier(parse_rules(SMALL))
    assert train(rules_only, examples, Settings(min_df=1, prune=0.0, rechoose=0.4)).rechoose == 0.4
    assert (
        train(rules_only, examples, Settings(min_df=1, prune=0.0, kinds=False, rechoose=0.4)).rechoose is None
    )
