"""Load and validate the classifier rules file (``rules.yaml``) into typed objects.

The file format is described in ``docs/classification.md``. Validation collects every
problem it finds, each with its line number, and raises one :class:`RulesError`, so
``weigrid rules check`` can show them all at once.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.classifier.gate import ServiceGate, parse_service_gate
from bot.classifier.model import ModelError, ReportModel
from bot.classifier.model_file import load_model
from bot.classifier.normalize import normalize
from bot.classifier.ruleset import Combo, KeywordRule, Modifier, RulesError, RuleSet, check_patterns
from bot.classifier.types import REPORT_CATEGORIES, Category, Subtype
from bot.classifier.validation import MAX_WEIGHT, LineDict, Loader, Validator, check_aliased_terms

__all__ = [
    "Combo",
    "KeywordRule",
    "Modifier",
    "RuleSet",
    "RulesError",
    "load_rules",
    "parse_rules",
]

MAX_FACTOR = 5.0
_TOP_KEYS = {
    "version",
    "threshold",
    "aliases",
    "negation",
    "modifiers",
    "categories",
    "combos",
    "service_gate",
    "model",
}
_COMBO_KEYS = {"category", "subtype", "weight", "urgent", "all", "unless", "outranks"}
_MODIFIER_KEYS = {"factor", "terms", "patterns", "unless", "categories"} | {
    "urgent",
    "always",
    "scope",
    "resets",
}


def _parse_modifiers(v: Validator, block: LineDict) -> list[Modifier]:
    modifiers: list[Modifier] = []
    for name, raw in block.items():
        line = block.lines[name]
        where = f"modifiers.{name}"
        group = v.mapping(raw, line, where)
        if group is None:
            continue
        for key in group:
            if key not in _MODIFIER_KEYS:
                v.fail(group.lines[key], f"{where}: unknown key {key!r}")
        factor = v.number(group.get("factor"), line, f"{where}.factor", 0, MAX_FACTOR)
        always = bool(group.get("always", False))
        if always and "terms" in group:
            v.fail(group.lines["terms"], f"{where}: a group with 'always: true' takes no terms")
        patterns, problems = check_patterns(group.get("patterns"), bool(always), where)
        for problem in problems:
            v.fail(group.lines.get("patterns", line), problem)
        no_terms = always or ("terms" not in group and patterns)
        terms = (
            () if no_terms else v.terms(group.get("terms"), group.lines.get("terms", line), f"{where}.terms")
        )
        unless = group.get("unless", [])
        scope = group.get("scope", "message")
        if scope not in ("message", "clause"):
            v.fail(group.lines.get("scope", line), f"{where}.scope: must be 'message' or 'clause'")
        cats: list[Category] = []
        for raw_cat in group.get("categories", []):
            if raw_cat not in {c.value for c in REPORT_CATEGORIES}:
                v.fail(group.lines.get("categories", line), f"{where}: unknown category {raw_cat!r}")
            else:
                cats.append(Category(raw_cat))
        if factor is not None:
            modifiers.append(
                Modifier(
                    name=str(name),
                    terms=terms,
                    factor=factor,
                    patterns=patterns,
                    unless=tuple(str(u) for u in unless),
                    categories=tuple(cats) or REPORT_CATEGORIES,
                    urgent=bool(group.get("urgent", False)),
                    always=always,
                    clause=scope == "clause",
                    resets=bool(group.get("resets", False)),
                )
            )
    names = {m.name for m in modifiers}
    for m in modifiers:
        for other in m.unless:
            if other not in names:
                v.fail(block.lines[m.name], f"modifiers.{m.name}.unless: unknown group {other!r}")
    return modifiers


def _parse_aliases(v: Validator, block: LineDict) -> dict[str, str]:
    """Typo/homophone spellings -> the spelling the rules use (媒气 -> 煤气)."""
    aliases: dict[str, str] = {}
    for raw, target in block.items():
        line = block.lines[raw]
        source = v.term(raw, line, "aliases")
        if not isinstance(target, str) or not normalize(target):
            v.fail(line, f"aliases[{raw!r}]: the replacement must be a non-empty string")
            continue
        replacement = normalize(target)
        if source is not None and source in replacement:
            v.fail(line, f"aliases[{raw!r}]: the replacement {target!r} contains the alias itself")
            continue
        if source is not None:
            aliases[source] = replacement
    return aliases


def _parse_combos(v: Validator, block: LineDict) -> list[Combo]:
    combos: list[Combo] = []
    valid = {c.value for c in REPORT_CATEGORIES}
    for name, raw in block.items():
        line = block.lines[name]
        where = f"combos.{name}"
        combo = v.mapping(raw, line, where)
        if combo is None:
            continue
        for key in combo:
            if key not in _COMBO_KEYS:
                v.fail(combo.lines[key], f"{where}: unknown key {key!r}")
        category = combo.get("category")
        if not isinstance(category, str) or category not in valid:
            v.fail(line, f"{where}.category: {category!r} is not one of {sorted(valid)}")
            continue
        subtype_raw = combo.get("subtype")
        subtype: Subtype | None = None
        if category == Category.SERVICE:
            if subtype_raw not in {s.value for s in Subtype}:
                v.fail(line, f"{where}.subtype: a service combo needs a valid subtype, got {subtype_raw!r}")
                continue
            subtype = Subtype(subtype_raw)
        elif subtype_raw is not None:
            v.fail(line, f"{where}.subtype: only service combos take a subtype")
        weight = v.number(combo.get("weight"), line, f"{where}.weight", 0, MAX_WEIGHT)
        raw_groups = combo.get("all")
        groups: list[tuple[str, ...]] = []
        if not isinstance(raw_groups, list) or len(raw_groups) < 2:
            v.fail(line, f"{where}.all: expected a list of at least two term lists")
        else:
            for group in raw_groups:
                if not isinstance(group, list) or not group or not all(isinstance(t, str) for t in group):
                    v.fail(line, f"{where}.all: each group must be a non-empty list of strings")
                    continue
                terms = tuple(dict.fromkeys(t for t in (normalize(x) for x in group) if t))
                if terms:
                    groups.append(terms)
        unless = combo.get("unless", [])
        if not isinstance(unless, list) or not all(isinstance(n, str) for n in unless):
            v.fail(combo.lines.get("unless", line), f"{where}.unless: expected a list of cue group names")
            unless = []
        outranks = combo.get("outranks", [])
        if not isinstance(outranks, list) or not all(
            isinstance(o, str) and o in valid and o != category for o in outranks
        ):
            v.fail(
                combo.lines.get("outranks", line),
                f"{where}.outranks: expected a list of other report categories, got {outranks!r}",
            )
            outranks = []
        elif outranks and not combo.get("urgent", False):
            v.fail(
                combo.lines.get("outranks", line), f"{where}.outranks: only an urgent combo outranks others"
            )
            outranks = []
        if weight is not None and len(groups) >= 2:
            combos.append(
                Combo(
                    str(name),
                    Category(category),
                    subtype,
                    weight,
                    bool(combo.get("urgent", False)),
                    tuple(groups),
                    tuple(unless),
                    frozenset(Category(o) for o in outranks),
                )
            )
    return combos


def _parse_categories(v: Validator, block: LineDict) -> list[KeywordRule]:
    rules: list[KeywordRule] = []
    valid = {c.value for c in REPORT_CATEGORIES}
    for name, raw in block.items():
        line = block.lines[name]
        if name not in valid:
            v.fail(line, f"categories: unknown category {name!r} (expected one of {sorted(valid)})")
            continue
        section = v.mapping(raw, line, f"categories.{name}")
        if section is None:
            continue
        if name != Category.SERVICE:
            rules += v.keywords(section, f"categories.{name}", Category(name), None)
            continue
        subtypes = v.mapping(section.get("subtypes"), section.line, "categories.service.subtypes")
        if subtypes is None:
            continue
        for sub_name, sub_raw in subtypes.items():
            sub_line = subtypes.lines[sub_name]
            if sub_name not in {s.value for s in Subtype}:
                v.fail(sub_line, f"categories.service.subtypes: unknown subtype {sub_name!r}")
                continue
            where = f"categories.service.subtypes.{sub_name}"
            sub = v.mapping(sub_raw, sub_line, where)
            if sub is not None:
                rules += v.keywords(sub, where, Category.SERVICE, Subtype(sub_name))
    for cat in REPORT_CATEGORIES:
        if cat.value not in block:
            v.fail(block.line, f"categories: missing category {cat.value!r}")
    return rules


def _parse_model(v: Validator, top: LineDict, source: str, with_model: bool) -> ReportModel | None:
    """The learned report model named by ``model:`` (a path relative to the rules file), if any."""
    if "model" not in top:
        return None
    raw, line = top["model"], top.lines["model"]
    if not isinstance(raw, str) or not raw.strip():
        v.fail(line, "model: expected the path of a model file (weigrid rules train writes one)")
        return None
    if not with_model:
        return None
    path = Path(raw)
    if not path.is_absolute():
        path = Path(source).parent / path
    try:
        return load_model(path)
    except ModelError as exc:
        v.fail(line, f"model: {exc}")
        return None


def _check_model_groups(v: Validator, line: int, model: ReportModel, names: set[str]) -> None:
    """The model's ``keep``, ``hold`` and urgent ``hold`` name cue groups of these rules.

    A name the rules do not have would silently do nothing (a renamed group would stop keeping
    reports or holding pages): refused, as the service gate's ``needs`` are.
    """
    named = {"keep": model.keep, "hold": model.hold}
    if model.urgent is not None:
        named["urgent.hold"] = model.urgent.hold
    for field_name, groups in named.items():
        for name in sorted(groups - names):
            v.fail(line, f"model: {field_name} names {name!r}, which is not a cue group of these rules")


def _terms_to_check(
    top: LineDict,
    neg_terms: tuple[str, ...],
    combos: list[Combo],
    modifiers: list[Modifier],
    gate: ServiceGate | None,
    keywords: list[KeywordRule],
) -> list[tuple[int, str, tuple[str, ...]]]:
    """Every term and cue pattern of the rules, with the line and section to name in a problem."""
    checked: list[tuple[int, str, tuple[str, ...]]] = [(top.lines.get("negation", 1), "negation", neg_terms)]
    combo_line = top.lines.get("combos", 1)
    checked += [(combo_line, f"combos.{c.name}", tuple(t for g in c.groups for t in g)) for c in combos]
    modifier_line = top.lines.get("modifiers", 1)
    checked += [(modifier_line, f"modifiers.{m.name}", m.terms + m.patterns) for m in modifiers]
    if gate is not None:
        gate_items = gate.problem + gate.request + gate.patterns
        checked.append((top.lines["service_gate"], "service_gate", gate_items))
    by_category: dict[str, list[str]] = {}
    for rule in keywords:
        by_category.setdefault(rule.category.value, []).append(rule.term)
    category_line = top.lines.get("categories", 1)
    checked += [(category_line, f"categories.{c}", tuple(ts)) for c, ts in by_category.items()]
    return checked


def parse_rules(text: str, source: str = "<memory>", *, with_model: bool = True) -> RuleSet:
    """Parse and validate rules from YAML text.

    Args:
        text: The YAML document.
        source: A name for messages (usually the file path); a relative ``model:`` path is
            resolved against its directory.
        with_model: When False the ``model:`` file is not read (the rules alone, as
            ``weigrid rules train`` needs them before a model exists).

    Returns:
        The validated rule set.

    Raises:
        RulesError: With every problem found, each prefixed by ``source:line``.
    """
    loader = Loader(text)
    loader.problems = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise RulesError([f"{source}: not valid YAML: {exc}"]) from exc
    finally:
        loader.dispose()
    v = Validator(source)
    v.problems += [f"{source}:{p}" for p in loader.problems]
    top = v.mapping(data, 1, "top level") if data is not None else None
    if top is None:
        raise RulesError(v.problems or [f"{source}: empty rules file"])
    for key in top:
        if key not in _TOP_KEYS:
            v.fail(top.lines[key], f"unknown top-level key {key!r} (expected {sorted(_TOP_KEYS)})")
    threshold = v.number(top.get("threshold"), top.lines.get("threshold", 1), "threshold", 0, 100)
    negation = v.mapping(top.get("negation"), top.lines.get("negation", 1), "negation")
    neg_terms: tuple[str, ...] = ()
    neg_cats: list[Category] = []
    window = 0
    if negation is not None:
        neg_terms = v.terms(negation.get("terms"), negation.lines.get("terms", negation.line), "negation")
        raw_window = negation.get("window")
        if isinstance(raw_window, bool) or not isinstance(raw_window, int) or not 0 <= raw_window <= 20:
            v.fail(negation.lines.get("window", negation.line), "negation.window: must be an integer 0..20")
        else:
            window = raw_window
        for raw_cat in negation.get("categories", []):
            if raw_cat not in {c.value for c in REPORT_CATEGORIES}:
                v.fail(
                    negation.lines.get("categories", negation.line), f"negation: unknown category {raw_cat!r}"
                )
            else:
                neg_cats.append(Category(raw_cat))
    aliases: dict[str, str] = {}
    if "aliases" in top:
        alias_block = v.mapping(top["aliases"], top.lines["aliases"], "aliases")
        aliases = _parse_aliases(v, alias_block) if alias_block is not None else {}
    combos: list[Combo] = []
    if "combos" in top:
        combo_block = v.mapping(top["combos"], top.lines["combos"], "combos")
        combos = _parse_combos(v, combo_block) if combo_block is not None else []
    modifiers_block = v.mapping(top.get("modifiers"), top.lines.get("modifiers", 1), "modifiers")
    modifiers = _parse_modifiers(v, modifiers_block) if modifiers_block is not None else []
    names = {m.name for m in modifiers}
    for combo in combos:
        for other in combo.unless:
            if other not in names:
                v.fail(top.lines["combos"], f"combos.{combo.name}.unless: unknown group {other!r}")
    gate = None
    if "service_gate" in top:
        gate = parse_service_gate(v, top["service_gate"], top.lines["service_gate"], names)
    categories = v.mapping(top.get("categories"), top.lines.get("categories", 1), "categories")
    keywords = _parse_categories(v, categories) if categories is not None else []
    model = _parse_model(v, top, source, with_model)
    if model is not None:
        _check_model_groups(v, top.lines["model"], model, names)
    check_aliased_terms(v, aliases, _terms_to_check(top, neg_terms, combos, modifiers, gate, keywords))
    if v.problems:
        raise RulesError(v.problems)
    assert threshold is not None
    return RuleSet(
        threshold=threshold,
        negation_terms=neg_terms,
        negation_window=window,
        negation_categories=tuple(neg_cats) or REPORT_CATEGORIES,
        modifiers=tuple(modifiers),
        keywords=tuple(keywords),
        aliases=aliases,
        combos=tuple(combos),
        service_gate=gate,
        source=source,
        locations=dict(v.seen),
        model=model,
    )


def load_rules(path: str | Path, *, with_model: bool = True) -> RuleSet:
    """Read and validate a rules file.

    Args:
        path: Path to the YAML rules file.
        with_model: When False the learned model the rules name is not loaded.

    Returns:
        The validated rule set.

    Raises:
        RulesError: If the file cannot be read or is invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError([f"{path}: cannot read rules file: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:  # as the model file: a clear error, the old rules stay
        raise RulesError([f"{path}: not a UTF-8 text file: {exc}"]) from exc
    return parse_rules(text, source=str(path), with_model=with_model)
