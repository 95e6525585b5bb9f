"""How the distinct cue weights of one category add up (shared by the engine and the scorers)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["STRONG_DAMPING", "combine"]

# At or below this damping (news, notices, ads, "fixed now") the message is not a live
# report; piling up overlapping cues (被困 + 困在 + 电梯+困) must not outweigh that.
STRONG_DAMPING = 0.2
_EXTRA_SHARE = 0.25


def combine(weights: Iterable[float], damping: float) -> float:
    """Sum distinct cue weights; under strong damping the extra cues count a quarter.

    Args:
        weights: The weights of the distinct cues of one category.
        damping: Product of the damping factors (those below 1) in force.

    Returns:
        The combined weight, before the factors are applied.
    """
    if damping > STRONG_DAMPING:
        return sum(weights)
    ordered = sorted(weights, reverse=True)
    if not ordered:
        return 0.0
    return ordered[0] + _EXTRA_SHARE * sum(ordered[1:])
