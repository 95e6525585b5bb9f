"""The traditional-to-simplified table the normaliser applies (bot/classifier/hanzi.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.classifier.hanzi import SIMPLIFIED, TRADITIONAL, has_traditional, to_simplified

_SAMPLE = TRADITIONAL[::7] + "係睏嗰𨋢煤气电梯着火了 3栋!,abc😀"


def test_table_is_one_character_for_one_into_the_basic_block() -> None:
    assert len(TRADITIONAL) == len(SIMPLIFIED) == len(set(TRADITIONAL)) > 2500
    assert all("\u4e00" <= ch <= "\u9fff" for ch in SIMPLIFIED)
    # Chains are followed when the table is made: no target is itself rewritten.
    assert not set(SIMPLIFIED) & set(TRADITIONAL)
    # Left as typed on purpose (module docstring).
    assert not set(TRADITIONAL) & set("係睏嗰𨋢")
    assert to_simplified("煤氣 電梯 幾個") == "煤气 电梯 几个"


@given(st.text(alphabet=st.sampled_from(_SAMPLE), max_size=40))
def test_positions_hold_and_one_pass_is_final(text: str) -> None:
    simplified = to_simplified(text)
    assert len(simplified) == len(text)
    assert not has_traditional(simplified)
    assert to_simplified(simplified) == simplified
    assert has_traditional(text) == (simplified != text)
