"""Typed rule objects built from ``rules.yaml`` by :mod:`bot.classifier.rules`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.classifier.hanzi import has_traditional, to_simplified
from bot.classifier.types import Category, Subtype

if TYPE_CHECKING:
    from bot.classifier.gate import ServiceGate
    from bot.classifier.model import ReportModel


class RulesError(ValueError):
    """The rules file is invalid.

    Attributes:
        problems: One human-readable message per problem, each starting with its location.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems) if problems else "invalid rules")


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """A weighted keyword or phrase pointing to a category (and, for service, a subtype)."""

    term: str
    weight: float
    category: Category
    subtype: Subtype | None
    urgent: bool
    location: str


@dataclass(frozen=True, slots=True)
class Modifier:
    """A message-level cue group that scales category scores (reminders, drills, news, ...).

    Attributes:
        name: Group name, e.g. ``reminder``.
        terms: Normalised cue terms.
        patterns: Regular expressions matched against the normalised text, for cue shapes a
            term list cannot name ("可以(找|问|喊)我", "不(臭|漏)了"). A match counts like a
            term at its position.
        factor: Multiplier applied to the scores of ``categories`` when the group is in force.
        unless: Names of groups whose presence cancels this one (``reminder`` unless ``here_now``).
        categories: Categories the factor applies to; all report categories when empty in the file.
        urgent: When true and the group is in force, a report in ``categories`` is urgent.
        always: When true the group needs no cue term: it is in force unless an ``unless``
            group is present (e.g. "a service keyword without any request cue counts less").
        clause: When true (``scope: clause``) the factor applies only to keywords that follow
            a cue in the same clause ("万一着火" scales 着火, not the rest of the message).
        resets: When true a cue of this group (不过, 另外) drops the damping cues (factor
            below 1) seen before it: "谢谢师傅, 不过水管又漏了" is a new report.
    """

    name: str
    terms: tuple[str, ...]
    factor: float
    unless: tuple[str, ...]
    categories: tuple[Category, ...]
    urgent: bool
    always: bool = False
    clause: bool = False
    resets: bool = False
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Combo:
    """A cue made of several term families that must all occur in the message.

    It generalises where single keywords cannot: ``[电梯] x [卡住, 在里面, 出不来]`` is a
    person trapped in a lift however the sentence runs. Combo terms are plain substrings;
    they may repeat keywords and are not subject to the longest-match rule.

    Attributes:
        name: Combo name, shown in ``matched`` with the terms found (``电梯+卡住``).
        category: The category it scores for.
        subtype: The service subtype, for ``service`` combos.
        weight: Score added when every group is present.
        urgent: Whether the combo is an emergency cue.
        groups: Each group is a tuple of alternative normalised terms.
        unless: Cue groups that stop the combo when one of them was seen (``trapped_lift`` unless
            ``nobody_inside``: 电梯不动了 里面没人 is a broken lift, not a rescue).
        outranks: Categories whose emergency this combo's emergency overrides when both page
            (``fumes_symptoms`` outranks ``service``: a person overcome by fumes is a hazard, the
            source first, however many of the health team's words the message has).
    """

    name: str
    category: Category
    subtype: Subtype | None
    weight: float
    urgent: bool
    groups: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...] = ()
    outranks: frozenset[Category] = frozenset()


@dataclass(frozen=True, slots=True)
class RuleSet:
    """All rules from one rules file, validated and normalised."""

    threshold: float
    negation_terms: tuple[str, ...]
    negation_window: int
    negation_categories: tuple[Category, ...]
    modifiers: tuple[Modifier, ...]
    keywords: tuple[KeywordRule, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    combos: tuple[Combo, ...] = ()
    service_gate: ServiceGate | None = None
    source: str = "<memory>"
    locations: dict[str, str] = field(default_factory=dict, compare=False)
    model: ReportModel | None = field(default=None, compare=False)


def check_patterns(raw: object, always: bool, where: str) -> tuple[tuple[str, ...], list[str]]:
    """Validate a cue group's ``patterns`` (regular expressions over the normalised text).

    Args:
        raw: The ``patterns`` value from the file (``None`` when absent).
        always: Whether the group has ``always: true`` (such a group takes no patterns).
        where: Location prefix for problem messages, e.g. ``modifiers.offer``.

    Returns:
        The valid patterns, and one message per problem.
    """
    if raw is None:
        return (), []
    if not isinstance(raw, list) or not raw:
        return (), [f"{where}.patterns: expected a non-empty list of regular expressions"]
    problems = [f"{where}: a group with 'always: true' takes no patterns"] if always else []
    found: list[str] = []
    for item in raw:
        try:
            if not isinstance(item, str):
                raise re.error("not a string")
            compiled = re.compile(item)
            if compiled.groupindex or compiled.match("") is not None:
                raise re.error("must not use named groups or match empty text")
            if has_traditional(item):
                # The text is matched after normalisation, which writes 電 as 电: 電 never matches.
                raise re.error(f"write it in simplified characters ({to_simplified(item)!r})")
        except re.error as exc:
            problems.append(f"{where}.patterns: {item!r}: {exc}")
            continue
        found.append(item)
    return tuple(found), problems
