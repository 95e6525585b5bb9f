"""The rules file's YAML with line numbers, and the validator that collects every problem.

``bot/classifier/rules.py`` parses each section of ``rules.yaml`` with a :class:`Validator`; this
module holds what is not about any one section: a YAML loader whose mappings remember the line of
each key (so every problem names its line) and refuses duplicate and unquoted boolean/null keys,
and the checks for terms (normalised, unique across the file), numbers, mappings and keyword blocks.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from bot.classifier.automata import automaton_of
from bot.classifier.normalize import normalize
from bot.classifier.ruleset import KeywordRule
from bot.classifier.types import Category, Subtype

MAX_WEIGHT = 10.0
_KEYWORD_KEYS = {"keywords", "urgent"}


class LineDict(dict[Any, Any]):
    lines: dict[Any, int]
    line: int


class Loader(yaml.SafeLoader):
    problems: list[str]


def _construct_mapping(loader: Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.lines = {}
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, bool) or key is None:
            loader.problems.append(f"line {line}: key {key_node.value!r} must be quoted to be a term")
            key = str(key_node.value)
        elif isinstance(key, int | float):
            key = str(key_node.value)
        if key in result:
            loader.problems.append(f"line {line}: duplicate key {key!r} (first at line {result.lines[key]})")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = line
    return result


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Validator:
    """Walks the parsed YAML, collecting problems and typed rules."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []
        self.seen: dict[str, str] = {}  # normalised term -> location of first use

    def fail(self, line: int, message: str) -> None:
        self.problems.append(f"{self.source}:{line}: {message}")

    def term(self, raw: object, line: int, where: str) -> str | None:
        if not isinstance(raw, str):
            self.fail(line, f"{where}: term {raw!r} must be a string")
            return None
        term = normalize(raw)
        if not term:
            self.fail(line, f"{where}: term {raw!r} is empty after normalisation")
            return None
        location = f"{self.source}:{line} ({where})"
        if term in self.seen:
            first = self.seen[term]
            kind = "duplicate" if first.endswith(f"({where})") else "conflicting"
            self.fail(line, f"{where}: {kind} term {raw!r} (normalised {term!r}) already at {first}")
            return None
        self.seen[term] = location
        return term

    def number(self, raw: object, line: int, where: str, low: float, high: float) -> float | None:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            self.fail(line, f"{where}: {raw!r} is not a number")
            return None
        if not low < raw <= high:
            self.fail(line, f"{where}: {raw!r} must be in ({low:g}, {high:g}]")
            return None
        return float(raw)

    def mapping(self, raw: object, line: int, where: str) -> LineDict | None:
        if not isinstance(raw, LineDict):
            self.fail(line, f"{where}: expected a mapping, got {type(raw).__name__}")
            return None
        return raw

    def terms(self, raw: object, line: int, where: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            self.fail(line, f"{where}: expected a non-empty list of terms")
            return ()
        found = (self.term(item, line, where) for item in raw)
        return tuple(t for t in found if t)

    def keywords(
        self, section: LineDict, where: str, category: Category, subtype: Subtype | None
    ) -> list[KeywordRule]:
        rules: list[KeywordRule] = []
        for key in section:
            if key not in _KEYWORD_KEYS:
                self.fail(section.lines[key], f"{where}: unknown key {key!r} (expected keywords, urgent)")
        if not section.get("keywords"):
            self.fail(section.line, f"{where}: no keywords")
        for kind in ("keywords", "urgent"):
            if kind not in section:
                continue
            block = self.mapping(section[kind], section.lines[kind], f"{where}.{kind}")
            if block is None:
                continue
            for raw_term, raw_weight in block.items():
                line = block.lines[raw_term]
                term = self.term(raw_term, line, f"{where}.{kind}")
                weight = self.number(raw_weight, line, f"{where}.{kind}[{raw_term}] weight", 0, MAX_WEIGHT)
                if term and weight is not None:
                    rules.append(
                        KeywordRule(
                            term, weight, category, subtype, kind == "urgent", f"{self.source}:{line}"
                        )
                    )
        return rules


def check_aliased_terms(
    v: Validator, aliases: dict[str, str], where_terms: list[tuple[int, str, tuple[str, ...]]]
) -> None:
    """Refuse a term or cue pattern that holds an alias source: the aliases rewrite the text first.

    Every term and pattern is matched against the text after the aliases have rewritten it, so a
    term written with an alias source (冇人应 while ``冇`` -> ``没``) could never match.
    """
    finder = automaton_of(aliases, longest=True)
    if finder is None:
        return
    for line, where, items in where_terms:
        for item in items:
            hits = (
                finder.find(item) if item not in aliases else []
            )  # a term equal to an alias: reported as a conflict
            if hits:
                source = finder.terms[hits[0][0]]
                v.fail(
                    line,
                    f"{where}: {item!r} holds {source!r}, which the aliases rewrite to "
                    f"{aliases[source]!r} before the rules read a text: as written it cannot match; "
                    "write it as the aliases leave it",
                )
