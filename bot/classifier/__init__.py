"""Message classifier: keyword rules (``rules.yaml``) applied with one Aho-Corasick pass.

Public API::

    from bot.classifier import Category, Subtype, Verdict, Classifier, ClassifierHolder, RulesError
    from bot.classifier import load_rules, normalize
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from bot.classifier.engine import Classifier
from bot.classifier.normalize import normalize
from bot.classifier.rules import RulesError, RuleSet, load_rules, parse_rules
from bot.classifier.types import Category, Subtype, Verdict

logger = logging.getLogger(__name__)

__all__ = [
    "Category",
    "Classifier",
    "ClassifierHolder",
    "RuleSet",
    "RulesError",
    "Subtype",
    "Verdict",
    "load_rules",
    "normalize",
    "parse_rules",
]


class ClassifierHolder:
    """Holds the classifier in force and swaps it when the rules file changes.

    ``reload`` builds the new classifier completely before swapping one reference, so
    concurrent ``classify`` calls see either the old rules or the new ones, never a mix.
    A bad file leaves the old rules in force.

    Args:
        path: Path to the rules file; loaded immediately.

    Raises:
        RulesError: If the initial rules file is invalid.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.current: Classifier = Classifier.from_path(self.path)

    def classify(self, text: str) -> Verdict:
        """Classify with the rules currently in force."""
        return self.current.classify(text)

    def may_be_urgent(self, text: str) -> bool:
        """False only when :meth:`classify` cannot find ``text`` urgent (a cheap screen for triage)."""
        return self.current.may_be_urgent(text)

    def reload(self) -> None:
        """Re-read the rules file and put it in force.

        Raises:
            RulesError: If the new file is invalid; the previous rules stay in force.
        """
        with self._lock:
            try:
                fresh = Classifier.from_path(self.path)
            except RulesError as exc:
                logger.warning("rules reload from %s failed, keeping old rules: %s", self.path, exc)
                raise
            self.current = fresh
            logger.info("rules reloaded from %s (%d keywords)", self.path, len(fresh.rules.keywords))
