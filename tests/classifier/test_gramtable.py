"""One pass over a message gives every learned stage's logit, bit for bit what its own pass gives."""

from __future__ import annotations

from bot.classifier.gramtable import GramTable
from bot.classifier.model import LinearScorer
from bot.classifier.rules import load_rules
from tests.classifier.conftest import ROOT

TEXTS = ["", "着火了", "楼道里闻到很浓的煤气味", "已经修好了，谢谢", "3栋2单元502 楼上又漏水了!!", "xyz"]


def test_small_table_matches_each_scorer() -> None:
    fire = LinearScorer({"着": 1.5, "着火": 2.0, "火": 0.5}, -1.0)
    gas = LinearScorer({"煤气": 3.0, "气味": 0.25}, -2.0)
    empty = LinearScorer({}, 0.5)
    outside = LinearScorer({"漏水": 1.0}, 0.0)
    table = GramTable([fire, gas, empty])
    for text in TEXTS:
        read = table.scores(text)
        for scorer in (fire, gas, empty, outside):  # outside: not in the table, reads its own pass
            assert read.logit(scorer) == scorer.logit(text)
            assert read.probability(scorer) == scorer.probability(text)


def test_shipped_model_stages_match_bit_for_bit() -> None:
    model = load_rules(ROOT / "rules.yaml").model
    assert model is not None and model.urgent is not None and model.kinds is not None
    stages = [LinearScorer(model.weights, model.bias), model.urgent.scorer, *model.kinds.scorers.values()]
    table = GramTable(stages)
    for text in TEXTS:
        read = table.scores(text)
        assert [read.logit(s) for s in stages] == [s.logit(text) for s in stages]
