"""The service gate: a service ticket needs a need, not just a topic word.

Residents talk about 律师, 医生, 维修, 保洁 and 老人 all day without asking for anything:
adverts, offers, praise for a finished job, schedule questions, chatter. A service report
states a problem (坏了, 不通, 漏, 堵, 发烧了, 欠薪) or makes a request (帮忙, 能不能, 谁能,
请派). The ``service_gate`` section of the rules names both; when a message has service
keywords but neither, the service score is multiplied by the gate's ``factor``.

```yaml
service_gate:
  factor: 0.3                       # (0, 1]: service score multiplier without a need
  needs: [request, ongoing, again]  # cue groups whose presence counts as a need
  problem: [坏了, 不通, 漏, 堵]       # plain substrings, like combo terms
  request: [帮忙, 能不能, 请派]
  patterns: ['(能|可以)[^,.!?]{0,8}吗']  # regexes over the normalised text
```

An urgent service keyword (摔倒, 晕倒) always counts as a need. A problem or request term
right after a negation in the same clause (没坏过, 不需要帮忙) does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from bot.classifier.automata import Automaton, automaton_of
from bot.classifier.normalize import normalize
from bot.classifier.ruleset import check_patterns

__all__ = ["GATE_KEYS", "ServiceGate", "parse_service_gate"]

GATE_KEYS = frozenset({"factor", "needs", "problem", "request", "patterns"})


@dataclass(frozen=True, slots=True)
class ServiceGate:
    """The need a service report must show (see the module docstring).

    Attributes:
        factor: Multiplier of the service score when no need shows.
        needs: Cue groups (``modifiers``) whose presence counts as a need.
        problem: Normalised problem terms (plain substrings).
        request: Normalised request terms (plain substrings).
        patterns: Regular expressions over the normalised text that count as a need.
    """

    factor: float
    needs: tuple[str, ...]
    problem: tuple[str, ...]
    request: tuple[str, ...]
    patterns: tuple[str, ...] = ()

    def automaton(self) -> Automaton[None] | None:
        """Return one Aho-Corasick automaton over the problem and request terms (only their positions are read)."""
        terms = {*self.problem, *self.request}
        if not terms:
            return None
        return automaton_of(dict.fromkeys(terms))

    def regex(self) -> re.Pattern[str] | None:
        """Return one regex over the patterns, or None when there are none."""
        return re.compile("|".join(f"(?:{p})" for p in self.patterns)) if self.patterns else None


class _Validates(Protocol):
    def fail(self, line: int, message: str) -> None: ...

    def number(self, raw: object, line: int, where: str, low: float, high: float) -> float | None: ...


def _terms(v: _Validates, raw: object, line: int, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        v.fail(line, f"{where}: expected a non-empty list of terms")
        return ()
    found: dict[str, None] = {}
    for item in raw:
        term = normalize(item) if isinstance(item, str) else ""
        if not term:
            v.fail(line, f"{where}: term {item!r} must be a non-empty string")
        elif term in found:
            v.fail(line, f"{where}: duplicate term {item!r}")
        else:
            found[term] = None
    return tuple(found)


def parse_service_gate(v: _Validates, block: Any, line: int, modifier_names: set[str]) -> ServiceGate | None:
    """Validate the ``service_gate`` section.

    Args:
        v: The rules validator (collects problems with their line numbers).
        block: The parsed section (a mapping with a ``lines`` attribute).
        line: Line of the section's key.
        modifier_names: Names of the cue groups, for ``needs``.

    Returns:
        The gate, or None when the section is invalid (the problems are recorded in ``v``).
    """
    if not isinstance(block, dict):
        v.fail(line, "service_gate: expected a mapping")
        return None
    lines: dict[Any, int] = getattr(block, "lines", {})
    for key in block:
        if key not in GATE_KEYS:
            v.fail(lines.get(key, line), f"service_gate: unknown key {key!r} (expected {sorted(GATE_KEYS)})")
    factor = v.number(block.get("factor"), lines.get("factor", line), "service_gate.factor", 0, 1)
    needs_raw = block.get("needs", [])
    needs: list[str] = []
    if not isinstance(needs_raw, list):
        v.fail(lines.get("needs", line), "service_gate.needs: expected a list of cue group names")
    else:
        for name in needs_raw:
            if name not in modifier_names:
                v.fail(lines.get("needs", line), f"service_gate.needs: unknown cue group {name!r}")
            else:
                needs.append(str(name))
    problem = _terms(v, block.get("problem"), lines.get("problem", line), "service_gate.problem")
    request = _terms(v, block.get("request"), lines.get("request", line), "service_gate.request")
    for term in set(problem) & set(request):
        v.fail(lines.get("request", line), f"service_gate: {term!r} is both a problem and a request term")
    patterns, problems = check_patterns(block.get("patterns"), False, "service_gate")
    for message in problems:
        v.fail(lines.get("patterns", line), message)
    if not (problem or request or patterns or needs):
        v.fail(
            line, "service_gate: no problem, request, patterns or needs: every service message would be gated"
        )
    if factor is None:
        return None
    return ServiceGate(factor, tuple(needs), problem, request, patterns)
