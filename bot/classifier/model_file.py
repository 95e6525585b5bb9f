"""Reading the report model's file (``weigrid rules train`` writes it: ``ReportModel.to_json``).

Every number is checked (finite, in range) and every section's shape, so a hand-edited or
truncated file is refused with a message naming what is wrong, and the rules in force stay.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from bot.classifier.model import FORMAT, KINDS, KindStage, LinearScorer, ModelError, ReportModel, UrgentStage


def parse_model(text: str, source: str = "<memory>") -> ReportModel:
    """Read a model file's text.

    Raises:
        ModelError: If it is not a model file of this format.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ModelError(f"{source}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{source}: not a {FORMAT} file")
    scorer = _scorer(data, source, "")
    numbers = [data.get("threshold"), data.get("promote")]
    if not all(_finite(v) for v in numbers):
        raise ModelError(f"{source}: threshold and promote must be finite numbers")
    threshold, promote = (float(v) for v in numbers if isinstance(v, int | float))
    if not 0.0 < threshold < 1.0 or promote <= 0.0:
        raise ModelError(f"{source}: threshold must be in (0, 1) and promote above 0")
    keep, hold = data.get("keep", []), data.get("hold", [])
    if not all(isinstance(names, list) and all(isinstance(n, str) for n in names) for names in (keep, hold)):
        raise ModelError(f"{source}: keep and hold must be lists of cue-group names")
    min_length = data.get("min_length", 0)
    if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 0:
        raise ModelError(f"{source}: min_length must be a whole number of characters")
    urgent = _urgent(data["urgent"], source) if "urgent" in data else None
    kinds = _kinds(data["kinds"], source) if "kinds" in data else None
    if (
        urgent is not None
        and urgent.retarget is not None
        and (kinds is None or not urgent.targets & set(kinds.scorers))
    ):
        raise ModelError(
            f"{source}: urgent: retarget needs a kind stage with a scorer for one of its targets"
        )
    rechoose = data.get("rechoose")
    if rechoose is not None:
        if not _finite(rechoose) or not 0.0 <= float(rechoose) <= 1.0:
            raise ModelError(f"{source}: rechoose must be a number from 0 to 1")
        if kinds is None:
            raise ModelError(f"{source}: rechoose needs a kind stage")
        rechoose = float(rechoose)
    calm = data.get("calm")
    if calm is not None:
        if not _finite(calm) or not 0.0 < float(calm) < threshold:
            raise ModelError(f"{source}: calm must be a number above 0 and below threshold")
        calm = float(calm)
    return ReportModel(
        scorer.weights,
        scorer.bias,
        threshold,
        promote,
        source,
        frozenset(keep),
        min_length,
        urgent,
        kinds,
        frozenset(hold),
        rechoose,
        calm,
    )


def load_model(path: str | Path) -> ReportModel:
    """Read a model file.

    Raises:
        ModelError: If the file cannot be read or is malformed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path}: not a UTF-8 text file: {exc}") from exc
    return parse_model(text, str(path))


def _scorer(raw: object, source: str, where: str) -> LinearScorer:
    """``{"bias": number, "weights": {n-gram: number}}``, every number finite."""
    weights = raw.get("weights") if isinstance(raw, dict) else None
    bias = raw.get("bias") if isinstance(raw, dict) else None
    if not isinstance(weights, dict) or not all(_finite(v) for v in [bias, *weights.values()]):
        raise ModelError(f"{source}: {where}bias and every weight must be finite numbers")
    assert isinstance(bias, int | float)
    return LinearScorer({str(k): float(v) for k, v in weights.items()}, float(bias))


def _urgent(raw: object, source: str) -> UrgentStage:
    """The ``urgent`` section: the urgent stage."""
    if not isinstance(raw, dict):
        raise ModelError(f"{source}: urgent must be a mapping with bias, promote, targets and weights")
    scorer = _scorer(raw, source, "urgent: ")
    promote, targets = raw.get("promote"), raw.get("targets")
    if not _finite(promote):
        raise ModelError(f"{source}: urgent: promote must be a finite number")
    assert isinstance(promote, int | float)
    if promote <= 0.0:
        raise ModelError(f"{source}: urgent: promote must be above 0 (above 1 never pages)")
    if (
        not isinstance(targets, list)
        or not targets
        or not all(isinstance(t, str) for t in targets)
        or not set(targets) <= KINDS - {"dispute"}
    ):
        allowed = ", ".join(sorted(KINDS - {"dispute"}))
        raise ModelError(f"{source}: urgent: targets must be a non-empty list of {allowed}")
    retarget = raw.get("retarget")
    if retarget is not None:
        if not _finite(retarget):
            raise ModelError(f"{source}: urgent: retarget must be a finite number")
        assert isinstance(retarget, int | float)
        if retarget < promote:
            raise ModelError(
                f"{source}: urgent: retarget must not be below promote (triage screens at promote)"
            )
        retarget = float(retarget)
    hold = raw.get("hold", [])
    if not isinstance(hold, list) or not all(isinstance(n, str) for n in hold):
        raise ModelError(f"{source}: urgent: hold must be a list of cue-group names")
    return UrgentStage(scorer, float(promote), frozenset(targets), retarget, frozenset(hold))


def _kinds(raw: object, source: str) -> KindStage:
    """The ``kinds`` section: one scorer per kind of report."""
    if not isinstance(raw, dict) or not raw or not set(raw) <= KINDS:
        raise ModelError(f"{source}: kinds must map kinds of report ({', '.join(sorted(KINDS))}) to scorers")
    return KindStage({str(k): _scorer(v, source, f"kinds: {k}: ") for k, v in raw.items()})


def _finite(value: object) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer literal too large for a float
        return False
