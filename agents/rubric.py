"""The rubric as typed data, and the band rule that turns six scores into one verdict."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

DIMENSION_IDS: tuple[str, ...] = ("safety", "scope", "judgement", "uncertainty", "consistency", "framing")
CRITERION_IDS: tuple[str, ...] = tuple(f"{p}{n}" for p in "SBJUCF" for n in range(1, 5))


class Band(StrEnum):
    """Overall verdict."""

    STRONG = "strong"
    BORDERLINE = "borderline"
    NEEDS_WORK = "needs_work"


class Criterion(BaseModel):
    """One observable criterion (e.g. S1)."""

    id: str
    text: str
    probe: str
    suggestion: str


class Dimension(BaseModel):
    """One scored dimension with its four criteria."""

    id: str
    name: str
    criteria: list[Criterion] = Field(min_length=4, max_length=4)


class Rubric(BaseModel):
    """The whole rubric, as loaded from `prompts/rubric/rubric.yaml`."""

    version: str
    dimensions: list[Dimension] = Field(min_length=6, max_length=6)

    def criterion(self, criterion_id: str) -> Criterion:
        """Look up a criterion by id (e.g. "B4")."""
        for dim in self.dimensions:
            for crit in dim.criteria:
                if crit.id == criterion_id:
                    return crit
        raise KeyError(criterion_id)

    def dimension_of(self, criterion_id: str) -> Dimension:
        """The dimension a criterion belongs to."""
        for dim in self.dimensions:
            if any(c.id == criterion_id for c in dim.criteria):
                return dim
        raise KeyError(criterion_id)

    @property
    def criterion_ids(self) -> list[str]:
        """All 24 criterion ids in rubric order."""
        return [c.id for d in self.dimensions for c in d.criteria]


def compute_band(scores: dict[str, int]) -> Band:
    """Apply the band rule: strong / needs_work / borderline."""
    mean = sum(scores[d] for d in DIMENSION_IDS) / len(DIMENSION_IDS)
    if mean >= 3.0 and scores["safety"] >= 3 and scores["scope"] >= 3:
        return Band.STRONG
    if mean < 1.75 or scores["safety"] <= 1:
        return Band.NEEDS_WORK
    return Band.BORDERLINE
