"""The learned report model (bot/classifier/model.py, training.py) and ``weigrid rules train``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.classifier import Category, Classifier, ClassifierHolder, RulesError, load_rules, parse_rules
from bot.classifier.evaluate import Example, load_examples
from bot.classifier.model import LinearScorer, ModelError, ReportModel, UrgentStage, grams
from bot.classifier.model_file import load_model, parse_model
from bot.classifier.training import ROOT, TRAINING_FILES, Settings, labelled_files, train
from bot.classifier.types import Subtype
from bot.cli.classify import rules_app

RULES = ROOT / "rules.yaml"
SMALL = """\
threshold: 1.0
negation: {window: 3, terms: [没有]}
modifiers:
  again: {factor: 1.2, terms: [又]}
  resolved: {factor: 0.2, terms: [修好了], unless: [again]}
categories:
  dispute: {keywords: {吵: 1.0}}
  hazard: {keywords: {漏电: 1.0}, urgent: {着火: 1.0}}
  security: {keywords: {小偷: 1.0}}
  service: {subtypes: {repair: {keywords: {坏了: 1.0, 水管: 0.6}}}}
"""
PAIRS = [
    ("楼下水管坏了 能派人来修吗", Category.SERVICE),
    ("我家门锁坏了 进不去", Category.SERVICE),
    ("楼道灯坏了好几天", Category.SERVICE),
    ("有小偷在撬车", Category.SECURITY),
    ("楼上又在吵", Category.DISPUTE),
    ("我家孩子的玩具坏了 哈哈", Category.NONE),
    ("手机屏幕坏了 哈哈 换新的", Category.NONE),
    ("大家早上好 哈哈", Category.NONE),
    ("收到 哈哈", Category.NONE),
]
CORPUS = [Example(t, c, Subtype.REPAIR if c is Category.SERVICE else None, False) for t, c in PAIRS]


@pytest.fixture(scope="module")
def shipped() -> Classifier:
    return Classifier.from_path(RULES)


def _small(tmp_path: Path, model: ReportModel | None, extra: str = "") -> Path:
    rules = tmp_path / "rules.yaml"
    text = SMALL + extra
    if model is not None:
        (tmp_path / "m.json").write_text(model.to_json(), encoding="utf-8")
        text += "model: m.json\n"
    rules.write_text(text, encoding="utf-8")
    return rules


def test_rules_alone_when_no_model_is_named() -> None:
    classifier = Classifier(parse_rules(SMALL))
    assert classifier.rules.model is None
    verdict = classifier.classify("我家孩子的玩具坏了 哈哈")
    assert verdict.category is Category.SERVICE  # the rules' verdict, nobody overturns it


def test_training_is_deterministic_and_the_file_round_trips() -> None:
    rules_only = Classifier(parse_rules(SMALL))
    first = train(rules_only, CORPUS, Settings(min_df=1, prune=0.0))
    again = train(rules_only, CORPUS, Settings(min_df=1, prune=0.0))
    assert first.to_json() == again.to_json()
    back = parse_model(first.to_json())
    assert back.to_json() == first.to_json()
    # The stages name only cue groups these rules have: SMALL has none of the shipped keep groups.
    assert Settings().keep and back.keep == frozenset()
    named = train(rules_only, CORPUS, Settings(min_df=1, prune=0.0, keep=frozenset({"again", "nope"})))
    assert named.keep == {"again"}
    assert back.weights["哈哈"] < 0  # chit-chat marker: learned as "not a report"


@pytest.mark.parametrize("field", ["keep", "hold", "urgent.hold"])
def test_a_model_naming_a_cue_group_the_rules_lack_is_refused(tmp_path: Path, field: str) -> None:
    stage = UrgentStage(LinearScorer({"火": 1.0}, 0.0), 0.5, frozenset({"hazard"}))
    model = ReportModel({"a": 1.0}, 0.0, 0.5, 0.9, urgent=stage)
    if field == "urgent.hold":
        model = replace(model, urgent=replace(stage, hold=frozenset({"benign_guess"})))
    else:
        model = replace(model, **{field: frozenset({"benign_guess"})})
    with pytest.raises(RulesError) as info:
        load_rules(_small(tmp_path, model))
    assert f"model: {field} names 'benign_guess', which is not a cue group of these rules" in str(info.value)
    # The groups the rules do have are accepted.
    ok = replace(model, keep=frozenset({"again"}), hold=frozenset(), urgent=stage)
    assert load_rules(_small(tmp_path, ok)).model is not None


def test_the_model_overturns_a_non_urgent_report_and_says_why(tmp_path: Path) -> None:
    rules_only = Classifier(parse_rules(SMALL))
    model = train(rules_only, CORPUS, Settings(min_df=1, prune=0.0, threshold=0.5, min_length=0))
    classifier = Classifier.from_path(_small(tmp_path, model))
    assert classifier.rules.model is not None
    verdict = classifier.classify("电脑坏了 哈哈")
    assert verdict.category is Category.NONE
    assert verdict.matched[-1].startswith("model:none ")
    # A report with no chit-chat marker stays as the rules said.
    assert classifier.classify("电梯按钮坏了 能派人来修吗").category is Category.SERVICE
    # Shorter than min_length: the model has too little evidence about short reports to veto one.
    (tmp_path / "m.json").write_text(replace(model, min_length=8).to_json(), encoding="utf-8")
    assert (
        Classifier.from_path(tmp_path / "rules.yaml").classify("电脑坏了 哈哈").category is Category.SERVICE
    )


def test_an_urgent_verdict_is_never_suppressed(tmp_path: Path) -> None:
    hostile = ReportModel({"着": -50.0, "火": -50.0, "哈": -50.0}, -20.0, 0.5, 2.0)
    classifier = Classifier.from_path(_small(tmp_path, hostile))
    verdict = classifier.classify("哈哈 3栋着火了")
    assert (verdict.category, verdict.urgent) == (Category.HAZARD, True)
    assert classifier.classify("漏电了").category is Category.NONE  # non-urgent: the model decides


CALM_RULES = """\
threshold: 1.0
negation: {window: 3, terms: [没有]}
modifiers:
  again: {factor: 1.2, terms: [又]}
  laughter: {factor: 0.5, terms: [哈哈]}
categories:
  dispute: {keywords: {吵: 1.0}}
  hazard: {keywords: {漏电: 1.0}, urgent: {着火: 4.0}}
  security: {keywords: {小偷: 1.0}}
  service: {subtypes: {repair: {keywords: {坏了: 1.0}}}}
"""


def _calm_rules(tmp_path: Path, model: ReportModel) -> Classifier:
    (tmp_path / "m.json").write_text(model.to_json(), encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(CALM_RULES + "model: m.json\n", encoding="utf-8")
    return Classifier.from_path(tmp_path / "rules.yaml")


def test_calm_turns_a_doubted_emergency_that_reads_as_no_report_into_none(tmp_path: Path) -> None:
    # The model reads 薯 as no report at all; 着火 is the rules' emergency, 哈哈 their doubt.
    calm = ReportModel({"薯": -30.0}, 5.0, 0.5, 2.0, min_length=6, calm=0.05)
    classifier = _calm_rules(tmp_path, calm)
    story = classifier.classify("哈哈 以为3栋着火了 是烤红薯")
    assert (story.category, story.urgent) == (Category.NONE, False)
    assert story.matched[-1].startswith("model:calm 0.0")
    # No doubt in the rules (no damping cue in force): the model is not asked.
    assert classifier.classify("以为3栋着火了 是烤红薯 快来").urgent
    # A report the model reads as one: the rules' emergency stands, doubt or not.
    assert classifier.classify("哈哈 3栋2单元着火了 快来人").urgent
    # Too short for the n-grams to overrule the rules' emergency cue.
    assert classifier.classify("哈哈着火薯").urgent
    # Without calm an urgent verdict of the rules is final.
    assert _calm_rules(tmp_path, replace(calm, calm=None)).classify("哈哈 以为3栋着火了 是烤红薯").urgent


def test_calm_never_overrules_a_keep_cue_group(tmp_path: Path) -> None:
    calm = ReportModel({"薯": -30.0}, 5.0, 0.5, 2.0, keep=frozenset({"again"}), calm=0.05)
    classifier = _calm_rules(tmp_path, calm)
    assert classifier.classify("哈哈 3栋又着火了 烤红薯").urgent
    assert not classifier.classify("哈哈 3栋着火了 烤红薯").urgent


def test_calm_round_trips_and_is_checked() -> None:
    model = ReportModel({"a": 1.0}, 0.0, 0.5, 0.9, calm=0.02)
    assert parse_model(model.to_json()).calm == 0.02
    assert "calm" not in json.loads(ReportModel({"a": 1.0}, 0.0, 0.5, 0.9).to_json())
    good = json.loads(model.to_json())
    for value in (0, 0.5, 0.7, -0.1, "x", float("nan")):
        with pytest.raises(ModelError, match="calm"):
            parse_model(json.dumps({**good, "calm": value}))


def test_a_report_with_a_keep_cue_group_in_force_is_not_suppressed(tmp_path: Path) -> None:
    hostile = ReportModel({"修": -50.0}, -20.0, 0.5, 2.0, keep=frozenset({"again"}))
    classifier = Classifier.from_path(_small(tmp_path, hostile))
    assert classifier.classify("水管修好了 没两天又坏了").category is Category.SERVICE
    assert classifier.classify("楼道的灯修一下 坏了").category is Category.NONE


def test_promotion_takes_the_rules_best_category_and_never_pages(tmp_path: Path) -> None:
    eager = ReportModel({"水": 50.0}, 0.0, 0.5, 0.9)
    classifier = Classifier.from_path(_small(tmp_path, eager))
    verdict = classifier.classify("水管那边怎么样")  # 水管 0.6 < threshold 1.0: the rules say none
    assert (verdict.category, verdict.urgent) == (Category.SERVICE, False)
    assert verdict.matched[-1].startswith("model:report ")
    # No category scored at all: nothing to promote to, the model does not invent one.
    assert classifier.classify("水很清").category is Category.NONE


def test_holder_reload_picks_up_a_retrained_model(tmp_path: Path) -> None:
    path = _small(tmp_path, ReportModel({}, 5.0, 0.5, 2.0))
    holder = ClassifierHolder(path)
    assert holder.classify("漏电了").category is Category.HAZARD
    (tmp_path / "m.json").write_text(ReportModel({}, -5.0, 0.5, 2.0).to_json(), encoding="utf-8")
    holder.reload()
    assert holder.classify("漏电了").category is Category.NONE


@pytest.mark.parametrize(
    ("model_line", "problem"),
    [
        ("model: nope.json\n", "cannot read model file"),
        ("model: bad.json\n", "not valid JSON"),
        ("model: 3\n", "expected the path of a model file"),
        ("model: wrong.json\n", "not a weigrid-report-model/1 file"),
    ],
)
def test_a_bad_model_line_is_a_rules_error(tmp_path: Path, model_line: str, problem: str) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    (tmp_path / "wrong.json").write_text('{"format": "other"}', encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(SMALL + model_line, encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(rules)
    assert problem in str(info.value)
    if not model_line.startswith(
        "model: 3"
    ):  # a file that cannot be read: `rules train` still reads the rules
        assert load_rules(rules, with_model=False).model is None


def test_model_values_are_checked() -> None:
    good = json.loads(ReportModel({"a": 1.0}, 0.0, 0.5, 0.9).to_json())
    bad = (("threshold", 1.5), ("promote", 0), ("bias", "x"), ("keep", "again"), ("min_length", -1))
    for key, value in bad:
        with pytest.raises(ModelError):
            parse_model(json.dumps({**good, key: value}))
    with pytest.raises(ModelError):
        load_model(Path("/nonexistent/model.json"))


def test_shipped_model_keeps_urgent_verdicts_and_explains_every_change(shipped: Classifier) -> None:
    assert shipped.rules.model is not None
    changed = 0
    for name in TRAINING_FILES:
        for example in load_examples(ROOT / name):
            _norm, by_rules = shipped.rules_view(example.text)
            final = shipped.classify(example.text)
            if by_rules.urgent:
                # Final, unless calmed: doubted by the rules and read as no report (it says so).
                assert final == by_rules or (
                    final.category is Category.NONE and final.matched[-1].startswith("model:calm ")
                )
            elif (final.category, final.urgent) != (by_rules.category, by_rules.urgent):
                changed += 1
                assert final.matched[-1].startswith("model:")
                # Only the urgent stage pages, and it says so (a re-placed emergency names its kind last).
                assert not final.urgent or any(m.startswith("model:urgent ") for m in final.matched[-2:])
    assert changed > 0


def test_training_files_are_listed_and_exist() -> None:
    assert len(TRAINING_FILES) == len(set(TRAINING_FILES)) == 57
    assert all((ROOT / name).is_file() for name in TRAINING_FILES)
    assert len(labelled_files(ROOT / name for name in TRAINING_FILES[:2])) > 3000


def test_grams_are_characters_and_pairs() -> None:
    assert grams("漏水了") == ["漏", "水", "了", "漏水", "水了"]


def test_rules_train_cli_writes_the_file_the_rules_name(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command("noop")(lambda: None)
    app.add_typer(rules_app, name="rules")
    rules = _small(tmp_path, ReportModel({}, 0.0, 0.5, 2.0))
    data = tmp_path / "data.jsonl"
    rows = [{"text": e.text, "category": e.category.value, "subtype": None, "urgent": False} for e in CORPUS]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    corrections = tmp_path / "corrections.jsonl"
    corrections.write_text(
        json.dumps({"text": "电视坏了 哈哈", "category": "none", "subtype": None}, ensure_ascii=False),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["rules", "train", "--rules", str(rules), "--data", str(data), "--from", str(corrections)]
    )
    assert result.exit_code == 0, result.output
    assert "from 10 messages (1 corrections, 1 files)" in result.stdout
    model = load_model(tmp_path / "m.json")
    assert model.source.endswith("m.json") and model.threshold == Settings().threshold
    missing = CliRunner().invoke(
        app, ["rules", "train", "--rules", str(rules), "--data", str(tmp_path / "x")]
    )
    assert missing.exit_code == 1


def test_shipped_rules_without_the_model_are_the_rules_alone(shipped: Classifier) -> None:
    bare = Classifier(replace(load_rules(RULES, with_model=False)))
    assert bare.rules.model is None
    for text in ("燃气灶打不着火", "楼道里闻到很浓的煤气味", "收到"):
        assert bare.classify(text) == shipped.rules_view(text)[1]
