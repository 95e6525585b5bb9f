"""Bad input never crashes the classifier: arbitrary text, and the shapes normalisation rewrites."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.classifier import ClassifierHolder
from bot.classifier.normalize import normalize

# The building-number rewrite takes digits and Chinese numerals before 栋/幢/号楼; mixing them
# ("1十栋") once raised ValueError inside classify.
NUMERALS = st.text(alphabet="0123456789零一二三四五六七八九十百两", min_size=0, max_size=5)
SUFFIXES = st.sampled_from(["栋", "幢", "号楼", "栋楼", "号栋", "号", ""])
NOISE = st.text(alphabet="楼道煤气味着火了救命@[]！!?？。，,～… \u2005\u3000😀🔥", max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(NOISE, NUMERALS, SUFFIXES), max_size=4))
def test_building_numbers_in_any_mix_never_crash(
    holder: ClassifierHolder, parts: list[tuple[str, str, str]]
) -> None:
    text = "".join(a + b + c for a, b, c in parts)
    verdict = holder.classify(text)
    assert 0.0 <= verdict.confidence <= 1.0
    assert verdict.subtype is None or verdict.category.value == "service"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes(holder: ClassifierHolder, text: str) -> None:
    verdict = holder.classify(text)
    assert verdict.category.value in {"none", "dispute", "hazard", "security", "service"}
    holder.may_be_urgent(text)


def test_mixed_and_malformed_numerals_are_left_alone_or_read() -> None:
    assert normalize("1十栋楼道冒烟") == "110栋楼道冒烟"  # "十栋" is read, the stray digit stays
    assert normalize("3号楼楼道") == normalize("3栋楼道") == "3栋楼道"  # 楼道 keeps its 楼
    assert normalize("三栋楼的电梯") == "3栋的电梯"
    assert normalize("十十栋") == "十十栋"  # not a numeral: as typed
    assert normalize("九十九号楼") == "99栋"
    assert normalize("二十一幢") == "21栋"
