"""Value types shared by the classifier engine and the per-category scorers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """Top-level category of a resident message (the ticket taxonomy)."""

    NONE = "none"
    DISPUTE = "dispute"  # 矛盾纠纷
    HAZARD = "hazard"  # 安全隐患
    SECURITY = "security"  # 治安警情
    SERVICE = "service"  # 服务请求


class Subtype(StrEnum):
    """Volunteer team a service request is routed to (only for ``Category.SERVICE``)."""

    SANITATION = "sanitation"  # 环境卫生
    HEALTH = "health"  # 医疗保健
    LEGAL = "legal"  # 法律服务
    REPAIR = "repair"  # 家庭维修
    ASSISTANCE = "assistance"  # 帮扶救助


REPORT_CATEGORIES: tuple[Category, ...] = (
    Category.DISPUTE,
    Category.HAZARD,
    Category.SECURITY,
    Category.SERVICE,
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The classifier's decision on one message.

    Attributes:
        category: The category; ``Category.NONE`` means "no ticket".
        subtype: The service team, set only when ``category`` is ``SERVICE``.
        urgent: True when life or property is at risk right now.
        confidence: A score in ``[0, 1]``; higher means the rules agreed more clearly.
        matched: The cues that decided it, in message order, for a grid member to read.
    """

    category: Category
    subtype: Subtype | None
    urgent: bool
    confidence: float
    matched: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict with plain string values."""
        return {
            "category": self.category.value,
            "subtype": self.subtype.value if self.subtype else None,
            "urgent": self.urgent,
            "confidence": round(self.confidence, 3),
            "matched": list(self.matched),
        }


@dataclass(slots=True)
class Hit:
    """One keyword occurrence that survived overlap suppression and negation.

    Not frozen (nothing changes a hit once built): a frozen dataclass costs five times as much
    to build, and every message makes a few. Not hashable.

    Attributes:
        term: The (normalised) keyword as written in the rules file.
        start: Index of the first character in the normalised text.
        end: Index one past the last character.
        weight: The rule weight.
        subtype: For service keywords, the subtype they point to.
        urgent: Whether the keyword by itself signals danger now.
    """

    term: str
    start: int
    end: int
    weight: float
    subtype: Subtype | None
    urgent: bool


@dataclass(slots=True)
class CategoryScore:
    """What one category scorer concluded about a message.

    Not frozen, for the reason given at :class:`Hit`: a few are built for every message.
    Nothing changes one once built (the engine shares its zero scores between messages).
    """

    category: Category
    score: float
    urgent: bool
    matched: tuple[str, ...]
    subtype: Subtype | None = None
