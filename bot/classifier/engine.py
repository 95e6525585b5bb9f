"""The classifier: one Aho-Corasick pass over the normalised text, then per-category scoring.

Pipeline for one message:

1. ``normalize`` the text, then rewrite known typos and homophones (``aliases`` in the
   rules: 媒气 -> 煤气, 楼到 -> 楼道) leftmost-longest, in one automaton pass.
2. Find every keyword and cue with one Aho-Corasick automaton (``automata.py``), built once per
   rules load.
3. Overlap: a match inside a longer match is dropped, so the phrase wins over its parts
   ("打不着火" hides "着火", "已经修好" hides "修").
4. Negation: a keyword that follows a negation cue ("没有", "不是") within the window, in
   the same clause, is dropped.
5. Modifiers: cue groups found anywhere (reminder, drill, news elsewhere, resolved, ad,
   hypothetical question, here-and-now, intensity) multiply category scores; a group can be
   cancelled by another (``reminder`` unless ``here_now``), and a ``resets`` cue (不过, 另外)
   drops the damping cues said before it.
6. Combos: families of terms that must all occur (``[电梯] x [卡住, 在里面]``) add a hit, unless
   a cue group the combo names was seen (``nobody_inside``: 里面没人).
7. Service gate (``service_gate``): service keywords without a problem or a request
   (律师 in an advert, 保洁 in praise) are scaled down.
8. Each category scorer in ``handlers.categories`` scores its hits. A category whose
   emergency cues reach the threshold on their own ranks first (safety first); otherwise the
   best score at or above the threshold wins, else the message is ``none``. A security
   emergency outranks the health team's (violence with someone hurt), and an urgent combo with
   ``outranks`` overrides the emergencies it names when its own category pages (a person overcome
   by fumes is a hazard).
"""

from __future__ import annotations

import math
import re
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from bot.classifier.automata import Automaton, automaton_of
from bot.classifier.cues import CueTable
from bot.classifier.normalize import normalize
from bot.classifier.prefilter import ComboFinder, ShapeFinder
from bot.classifier.rules import Combo, KeywordRule, Modifier, RuleSet, load_rules
from bot.classifier.scoring import combine
from bot.classifier.triage import UrgentScreen
from bot.classifier.types import REPORT_CATEGORIES, Category, CategoryScore, Hit, Verdict

if TYPE_CHECKING:
    from handlers.categories.base import CategoryScorer

_KEYWORD, _NEGATION, _MODIFIER = 0, 1, 2
_CLAUSE_BREAKS = frozenset(",.!?;: ~")
_DIGIT = re.compile(r"\d")
# On equal scores the more serious category wins.
_PRIORITY = {Category.SECURITY: 4, Category.HAZARD: 3, Category.DISPUTE: 2, Category.SERVICE: 1}


# A match: (start, end, kind, index), ``end`` exclusive, ``index`` into the rules of its kind.
# A plain tuple: a message makes several, and building a class instance for each was a fifth of
# the span sweep's time in a profile (round 20).
_Span = tuple[int, int, int, int]
_START = itemgetter(0)


def _inside_number(text: str, start: int, end: int) -> bool:
    """Return True when text[start:end] touches a digit on either side."""
    return (start > 0 and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit())


def _covered(start: int, end: int, spans: list[_Span]) -> bool:
    """Return True when [start, end) lies inside a longer span."""
    return any(s[0] <= start and end <= s[1] and s[1] - s[0] > end - start for s in spans)


def _same_clause(text: str, start: int, end: int) -> bool:
    return not any(ch in _CLAUSE_BREAKS for ch in text[start:end])


def _scorers() -> dict[Category, CategoryScorer]:
    # Imported here: handlers.categories imports bot.classifier.types, which would
    # otherwise form a cycle through bot/classifier/__init__.py.
    from handlers.categories.dispute import DisputeScorer
    from handlers.categories.hazard import HazardScorer
    from handlers.categories.security import SecurityScorer
    from handlers.categories.service import ServiceScorer

    return {
        Category.DISPUTE: DisputeScorer(),
        Category.HAZARD: HazardScorer(),
        Category.SECURITY: SecurityScorer(),
        Category.SERVICE: ServiceScorer(),
    }


class Classifier:
    """Keyword classifier for resident messages.

    ``classify`` is pure and thread-safe: the automaton and rules are read-only after
    construction, and no I/O happens per message.

    Args:
        rules: A validated rule set (see :func:`bot.classifier.load_rules`).
    """

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._keywords: tuple[KeywordRule, ...] = rules.keywords
        self._modifiers: tuple[Modifier, ...] = rules.modifiers
        entries: list[tuple[str, int, int]] = [(k.term, _KEYWORD, i) for i, k in enumerate(rules.keywords)]
        entries += [(t, _NEGATION, i) for i, t in enumerate(rules.negation_terms)]
        entries += [(t, _MODIFIER, i) for i, m in enumerate(rules.modifiers) for t in m.terms]
        # A term listed twice stands for its last entry (the order rules are read in).
        by_term = {term: (kind, index) for term, kind, index in entries}
        self._automaton: Automaton[tuple[int, int]] | None = automaton_of(by_term)
        self._empty = self._automaton is None
        # Terms that start or end with a digit (120, 110, 12315) must not match inside a
        # longer number: "楼上1202" is a flat, not a call for an ambulance. The flag is per
        # term: a cue group's index is shared by all its terms, so keying it by (kind, index)
        # made every term of a group with one such term (neutral: 120还没到) digit-bound.
        self._numeric_terms = tuple(term[0].isdigit() or term[-1].isdigit() for term in by_term)
        self._numeric = any(self._numeric_terms)
        self._scorers = _scorers()
        self._factors = {m.name: m.factor for m in rules.modifiers}
        self._cue_table = CueTable(rules.modifiers)
        self._hiding = frozenset(i for i, m in enumerate(rules.modifiers) if m.factor <= 1.0)
        # Combos and cue shapes: one automaton pass each picks the few worth running (prefilter.py).
        self._combo_finder = ComboFinder(rules.combos)
        self._combos = self._combo_finder.combos
        self._shape_finder = ShapeFinder(rules.modifiers)
        self._shapes = self._shape_finder.shapes
        service_gate = rules.service_gate
        self._gate = service_gate
        # Gate terms are plain substrings (no longest-match sweep): an automaton of their own.
        self._gate_terms = service_gate.automaton() if service_gate is not None else None
        self._gate_re = service_gate.regex() if service_gate is not None else None
        # Aliases are rewritten leftmost-longest in one automaton pass (most messages hold none).
        self._aliases: Automaton[str] | None = automaton_of(rules.aliases, longest=True)
        self._urgent_screen = UrgentScreen(rules)
        self._model = rules.model
        self._no_score = {c: CategoryScore(c, 0.0, False, ()) for c in REPORT_CATEGORIES}  # immutable, shared

    def _normalized(self, text: str) -> str:
        """The text as the rules see it: normalised, typos and homophones rewritten."""
        norm = normalize(text)
        if self._aliases is None:
            return norm
        parts: list[str] = []
        last = 0
        targets = self._aliases.values
        for index, start, end in self._aliases.find(norm):
            parts += (norm[last:start], targets[index])
            last = end
        if not parts:
            return norm
        parts.append(norm[last:])
        return "".join(parts)

    def may_be_urgent(self, text: str) -> bool:
        """False only when ``classify(text)`` cannot be urgent; a few µs (see bot/classifier/triage.py).

        The rules' urgent cues are screened; the model's urgent stage (if any) pages only at or above
        its ``promote`` probability, one automaton pass more.
        """
        norm = self._normalized(text)
        if self._urgent_screen.admits(norm):
            return True
        model = self._model
        if model is None or model.urgent is None:
            return False
        # The urgent scorer's own pass: its automaton is a third of the shared table's size (triage
        # runs on every inbound message, in the webhook request).
        return model.urgent.scorer.probability(norm) >= model.urgent.promote

    @classmethod
    def from_path(cls, path: str | Path) -> Classifier:
        """Build a classifier from a rules file.

        Raises:
            RulesError: If the file is missing or invalid.
        """
        return cls(load_rules(path))

    def _spans(self, text: str) -> list[_Span]:
        assert self._automaton is not None
        meta = self._automaton.values
        matches = self._automaton.find(text)
        if self._numeric and _DIGIT.search(text) is not None:
            numeric = self._numeric_terms
            found = [
                (start, end) + meta[index]
                for index, start, end in matches
                if not numeric[index] or not _inside_number(text, start, end)
            ]
        else:
            found = [(start, end) + meta[index] for index, start, end in matches]
        if len(found) < 2:
            return found
        # Sweep by start, longest first: a span that ends within an earlier span's end is
        # inside it (that span starts no later), so the longer match hides it. The automaton
        # reports matches by end: reversed, then sorted stably by start, they come in that order.
        found.reverse()
        found.sort(key=_START)
        kept: list[_Span] = []
        max_end = -1
        for span in found:
            if span[1] > max_end:
                kept.append(span)
                max_end = span[1]
        return kept

    def _negated(self, text: str, start: int, negations: list[_Span]) -> _Span | None:
        window = self.rules.negation_window
        for neg in negations:
            if neg[1] <= start <= neg[1] + window and _same_clause(text, neg[1], start):
                return neg
        return None

    def _clause_factor(self, text: str, start: int, scoped: list[_Span]) -> float:
        factor = 1.0
        for cue in scoped:
            if cue[1] <= start and _same_clause(text, cue[1], start):
                factor *= self._modifiers[cue[3]].factor
        return factor

    def _combo_hit(
        self,
        text: str,
        combo: Combo,
        patterns: tuple[re.Pattern[str], ...],
        negations: list[_Span],
        scoped: list[_Span],
        spans: list[_Span],
    ) -> Hit | None:
        """Return a hit when every group of ``combo`` has a term in ``text`` that is not negated.

        A term inside a longer cue term does not count: ``防走失`` (a what-if) holds ``走失``,
        ``偷偷`` (neutral) holds ``偷``.
        """
        negatable = negations and combo.category in self.rules.negation_categories
        hiding = self._hiding
        cues = [s for s in spans if s[2] == _MODIFIER and s[3] in hiding and s[1] - s[0] > 1]
        found: list[str] = []
        last_start, last_end = -1, 0
        for pattern in patterns:
            for match in pattern.finditer(text):
                start = match.start()
                if negatable and self._negated(text, start, negations) is not None:
                    continue
                if cues and _covered(start, match.end(), cues):
                    continue
                found.append(match.group())
                if start > last_start:
                    last_start, last_end = start, match.end()
                break
            else:
                return None
        if scoped and self._clause_factor(text, last_start, scoped) < 1.0:
            return None  # "万一被困电梯": a what-if, not a report
        return Hit("+".join(found), last_start, last_end, combo.weight, combo.subtype, combo.urgent)

    def _needless(self, text: str, found: list[Hit], active: dict[str, str], negations: list[_Span]) -> bool:
        """Return True when service hits come without a need (a problem, a request, an emergency)."""
        gate = self._gate
        if gate is None or any(h.urgent for h in found) or any(n in active for n in gate.needs):
            return False
        if self._gate_terms is not None:
            for _index, start, _end in self._gate_terms.find(text):
                if not negations or self._negated(text, start, negations) is None:
                    return False
        if self._gate_re is not None:
            for match in self._gate_re.finditer(text):
                if not negations or self._negated(text, match.start(), negations) is None:
                    return False
        return True

    def classify(self, text: str) -> Verdict:
        """Classify one message.

        Args:
            text: The raw message as the resident typed it.

        Returns:
            The verdict; ``category`` is ``Category.NONE`` when no ticket should be opened.
        """
        norm = self._normalized(text)
        verdict, scores, in_force = self._by_rules(norm)
        if self._model is None:
            return verdict
        return self._model.revise(norm, verdict, scores, in_force)

    def rules_view(self, text: str) -> tuple[str, Verdict]:
        """The text as the rules see it (normalised, aliases rewritten) and the rules' own verdict."""
        norm = self._normalized(text)
        return norm, self._by_rules(norm)[0]

    def _by_rules(self, norm: str) -> tuple[Verdict, list[CategoryScore], tuple[Modifier, ...]]:
        """The rules' verdict on a normalised text, the category scores (highest first), the cue groups in force."""
        spans = self._spans(norm) if norm and not self._empty else []
        picked = self._shape_finder.present(norm) if self._shapes else ()
        if picked:
            shapes = self._shapes
            shaped = [
                (m.start(), m.end(), _MODIFIER, shapes[position][1])
                for position in picked
                for m in shapes[position][0].finditer(norm)
            ]
            if shaped:
                spans = sorted(spans + shaped, key=_START)
        if not spans and not self._combos:
            return Verdict(Category.NONE, None, False, 0.95, ()), [], ()
        modifiers = self._modifiers
        negations = [s for s in spans if s[2] == _NEGATION]
        scoped = [s for s in spans if s[2] == _MODIFIER and modifiers[s[3]].clause]
        hits: dict[Category, list[Hit]] = {}
        urgent_hits: set[Category] = set()  # the categories with an urgent hit
        outranking: list[Combo] = []  # urgent combos that override other emergencies (`outranks`)
        active: dict[str, str] = {}  # modifier group -> first cue seen
        negated: list[str] = []
        for start, end, kind, index in spans:
            if kind == _MODIFIER:
                modifier = modifiers[index]
                if modifier.clause:
                    continue
                if modifier.resets:  # "..., 不过 ...": what came before no longer damps
                    active = {n: c for n, c in active.items() if self._factors[n] >= 1.0}
                active.setdefault(modifier.name, norm[start:end])
            elif kind == _KEYWORD:
                rule = self._keywords[index]
                negatable = negations and rule.category in self.rules.negation_categories
                neg = self._negated(norm, start, negations) if negatable else None
                if neg is not None:
                    negated.append(f"{norm[neg[0] : neg[1]]}…{rule.term}")
                    continue
                factor = self._clause_factor(norm, start, scoped) if scoped else 1.0
                # A keyword under "万一/如果" scales down and is no longer an emergency.
                urgent = rule.urgent and factor >= 1.0
                if urgent:
                    urgent_hits.add(rule.category)
                hit = Hit(rule.term, start, end, rule.weight * factor, rule.subtype, urgent)
                hits.setdefault(rule.category, []).append(hit)
        for ci in self._combo_finder.candidates(norm):
            combo, patterns = self._combos[ci]
            if combo.unless and any(name in active for name in combo.unless):
                continue  # "电梯不动了 里面没人": the group says the combo's reading is wrong here
            combo_hit = self._combo_hit(norm, combo, patterns, negations, scoped, spans)
            if combo_hit is not None:
                if combo_hit.urgent:
                    urgent_hits.add(combo.category)
                    if combo.outranks:
                        outranking.append(combo)
                hits.setdefault(combo.category, []).append(combo_hit)
        # The groups in force, in rules order (those always on, and those whose cue was seen),
        # and the product of their factors per category.
        force = self._cue_table.force(active.keys())
        in_force = force.groups
        threshold = self.rules.threshold
        factors, damping = dict(force.factors), dict(force.damping)  # the service gate may scale them
        cues = tuple(f"{name}:{active[name]}" for name in force.seen) if force.seen else ()
        gated: tuple[str, ...] = ()
        service = hits.get(Category.SERVICE)
        if service and self._needless(norm, service, active, negations):
            assert self._gate is not None
            factors[Category.SERVICE] *= self._gate.factor
            damping[Category.SERVICE] *= self._gate.factor
            gated = ("service_gate:no need",)
        scores: list[CategoryScore] = []
        emergency: set[Category] = set()
        for category in REPORT_CATEGORIES:
            found = hits.get(category)
            if found is None:
                scores.append(self._no_score[category])
                continue
            factor = factors[category]
            scores.append(self._scorers[category].score(found, factor, damping[category]))
            if category in urgent_hits:
                urgent_weights = {h.term: h.weight for h in found if h.urgent}.values()
                if combine(urgent_weights, damping[category]) * damping[category] >= threshold:
                    emergency.add(category)
        # Violence in progress with someone hurt (互殴 + 躺地上, 打孩子 + 喘不上气) is a security
        # emergency: the victim's state does not make it a call for the health team.
        if Category.SECURITY in emergency:
            emergency.discard(Category.SERVICE)
        # A combo that outranks others (fumes_symptoms: a person overcome by fumes is a hazard)
        # does so only when its own category pages.
        for combo in outranking:
            if combo.category in emergency:
                emergency -= combo.outranks
        # Safety first: emergency cues that reach the threshold on their own beat a higher
        # sum of everyday words ("煤气味" outranks "灶台 + 阀门 + 油烟机").
        scores.sort(
            key=lambda s: (s.category in emergency, s.score, s.urgent, _PRIORITY[s.category]),
            reverse=True,
        )
        best, runner_up = scores[0], scores[1]
        if best.score < threshold:
            confidence = max(0.5, 0.95 - 0.45 * best.score / threshold)
            damped = tuple(t for s in scores for t in s.matched)
            verdict = Verdict(Category.NONE, None, False, confidence, cues + gated + tuple(negated) + damped)
            return verdict, scores, in_force
        # Urgent needs emergency cues that reach the threshold on their own (a lone 烟味 does
        # not), or a cry for help.
        urgent = (best.urgent and best.category in emergency) or any(
            m.urgent and best.category in m.categories for m in in_force
        )
        strength = 1.0 - math.exp(-best.score / threshold)
        margin = max(0.0, best.score - runner_up.score) / best.score
        confidence = min(0.99, 0.5 * strength + 0.5 * margin)
        verdict = Verdict(
            category=best.category,
            subtype=best.subtype,
            urgent=urgent,
            confidence=confidence,
            matched=best.matched
            + cues
            + (gated if best.category is Category.SERVICE else ())
            + tuple(negated),
        )
        return verdict, scores, in_force
