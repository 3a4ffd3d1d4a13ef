"""The rubric as typed data: dimensions, their criteria, how each criterion is decided, and the band
rules. Everything here comes from `prompts/rubric/rubric.yaml`; code loops over what is loaded, so a
dimension or a criterion is added by editing that file alone.

Only ids, names and texts are required. A criterion is by default decided per answer and met when
stated; a dimension's letter prefix defaults to what its criterion ids share.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class Band(StrEnum):
    """Overall verdict. The names are the product's; the rules that pick one are the rubric's."""

    STRONG = "strong"
    BORDERLINE = "borderline"
    NEEDS_WORK = "needs_work"


class Scope(StrEnum):
    """What a criterion is decided over."""

    ANSWER = "answer"  # any single answer can show it
    INTERVIEW = "interview"  # needs the answers together (consistency across questions)


class Direction(StrEnum):
    """How a criterion is met."""

    STATED = "stated"  # met when the candidate states it
    UNLESS_VIOLATED = "unless_violated"  # met unless something the candidate said breaks it


class Criterion(BaseModel):
    """One observable criterion (e.g. S1)."""

    id: str
    text: str
    name: str = Field(default="", description="A short name for charts and tables; defaults to the text.")
    probe: str = Field(default="", description="The interviewer's follow-up when the criterion is missing.")
    suggestion: str = Field(default="", description="The 'say it explicitly' advice in feedback.")
    scope: Scope = Scope.ANSWER
    direction: Direction = Direction.STATED
    substance: int = Field(
        default=0,
        ge=0,
        description="Substantive answers needed before the criterion can be met.",
    )
    by_setting: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per health system ('uk', 'us'), the probe or suggestion worded for it (its routes, its guidance).",
    )

    def for_setting(self, setting: str | None) -> Criterion:
        """This criterion as a candidate in `setting` reads it: UK and US wording never mix."""
        words = self.by_setting.get(setting or "", {})
        known = {k: v for k, v in words.items() if k in ("text", "probe", "suggestion")}
        return self.model_copy(update=known) if known else self

    @model_validator(mode="after")
    def _defaults(self) -> Criterion:
        # Derived from the text, so a criterion written with an id and a text alone is usable.
        if not self.name:
            self.name = self.text.rstrip(".")
        if not self.probe:
            self.probe = f"Could you say that explicitly: {self.text[0].lower()}{self.text[1:].rstrip('.')}?"
        if not self.suggestion:
            self.suggestion = f"Say it explicitly: {self.text[0].lower()}{self.text[1:]}"
        return self


class Dimension(BaseModel):
    """One scored dimension and its criteria."""

    id: str
    name: str
    prefix: str = Field(default="", description="Letters every criterion id of this dimension starts with.")
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _prefix(self) -> Dimension:
        ids = [c.id for c in self.criteria]
        if not self.prefix:
            self.prefix = _shared_start(ids).rstrip("0123456789")
        wrong = [i for i in ids if not self.prefix or not i.startswith(self.prefix)]
        if wrong:
            raise ValueError(
                f"dimension {self.id!r}: criterion ids {wrong} do not start with its prefix {self.prefix!r}"
            )
        return self


def _shared_start(ids: list[str]) -> str:
    """The longest start every id shares."""
    first, last = min(ids), max(ids)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


class Scale(BaseModel):
    """The range every dimension is scored on."""

    min: int = 0
    max: int = 4


class Conditions(BaseModel):
    """Tests on a set of dimension scores. Only the ones given are applied."""

    mean_at_least: float | None = None
    mean_below: float | None = None
    at_least: dict[str, int] = Field(default_factory=dict, description="dimension id -> lowest score allowed")
    at_most: dict[str, int] = Field(default_factory=dict, description="dimension id -> highest score that matches")

    def results(self, scores: dict[str, int], mean: float) -> list[bool]:
        """One truth value per condition given."""
        out: list[bool] = []
        if self.mean_at_least is not None:
            out.append(mean >= self.mean_at_least)
        if self.mean_below is not None:
            out.append(mean < self.mean_below)
        out += [scores[d] >= v for d, v in self.at_least.items()]
        out += [scores[d] <= v for d, v in self.at_most.items()]
        return out

    def describe(self, joiner: str) -> str:
        """The conditions in words, e.g. "mean ≥ 3.0 and safety ≥ 3"."""
        parts: list[str] = []
        if self.mean_at_least is not None:
            parts.append(f"mean ≥ {self.mean_at_least:g}")
        if self.mean_below is not None:
            parts.append(f"mean < {self.mean_below:g}")
        parts += [f"{d} ≥ {v}" for d, v in self.at_least.items()]
        parts += [f"{d} ≤ {v}" for d, v in self.at_most.items()]
        return f" {joiner} ".join(parts)

    def dimensions(self) -> set[str]:
        """Dimension ids the conditions name."""
        return set(self.at_least) | set(self.at_most)


class BandRule(BaseModel):
    """A band and when it applies: all of `all`, or any of `any`; a rule with neither always applies."""

    band: Band
    all: Conditions | None = None
    any: Conditions | None = None

    def applies(self, scores: dict[str, int], mean: float) -> bool:
        """Whether the rule holds for these scores."""
        if self.all is not None and not all(self.all.results(scores, mean)):
            return False
        return self.any is None or any(self.any.results(scores, mean))

    def describe(self) -> str:
        """When the rule applies, in words (for reports)."""
        parts = [c.describe(j) for c, j in ((self.all, "and"), (self.any, "or")) if c is not None]
        return "; ".join(p for p in parts if p) or "otherwise"


def _default_bands() -> list[BandRule]:
    return [BandRule(band=Band.BORDERLINE)]


class Rubric(BaseModel):
    """The whole rubric, as loaded from `prompts/rubric/rubric.yaml`."""

    version: str
    scale: Scale = Field(default_factory=Scale)
    bands: list[BandRule] = Field(default_factory=_default_bands, description="First rule that applies decides.")
    dimensions: list[Dimension] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Rubric:
        dims = [d.id for d in self.dimensions]
        crits = self.criterion_ids
        for label, ids in (("dimension", dims), ("criterion", crits)):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValueError(f"{label} ids repeated: {repeated}")
        prefixes = [d.prefix for d in self.dimensions]
        clash = [p for p in prefixes if any(q != p and q.startswith(p) for q in prefixes)]
        if len(set(prefixes)) != len(prefixes) or clash:
            raise ValueError(f"dimension prefixes must differ and none may start another: {prefixes}")
        for rule in self.bands:
            named = set().union(*(c.dimensions() for c in (rule.all, rule.any) if c is not None))
            unknown = sorted(named - set(dims))
            if unknown:
                raise ValueError(f"band rule {rule.band.value!r} names unknown dimensions {unknown}")
        if not self.bands or self.bands[-1].all is not None or self.bands[-1].any is not None:
            raise ValueError("the last band rule must have no conditions, so every score set gets a band")
        return self

    # ----- looking things up ----------------------------------------------------------------

    @property
    def dimension_ids(self) -> list[str]:
        """Dimension ids in rubric order."""
        return [d.id for d in self.dimensions]

    @property
    def criterion_ids(self) -> list[str]:
        """Every criterion id in rubric order."""
        return [c.id for d in self.dimensions for c in d.criteria]

    @property
    def criteria(self) -> list[Criterion]:
        """Every criterion in rubric order."""
        return [c for d in self.dimensions for c in d.criteria]

    def criterion(self, criterion_id: str) -> Criterion:
        """Look up a criterion by id (e.g. "B4")."""
        for dim in self.dimensions:
            for crit in dim.criteria:
                if crit.id == criterion_id:
                    return crit
        raise KeyError(criterion_id)

    def dimension(self, dimension_id: str) -> Dimension:
        """Look up a dimension by id."""
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def dimension_of(self, criterion_id: str) -> Dimension:
        """The dimension a criterion belongs to."""
        for dim in self.dimensions:
            if any(c.id == criterion_id for c in dim.criteria):
                return dim
        raise KeyError(criterion_id)

    def ids_where(self, *, scope: Scope | None = None, direction: Direction | None = None) -> list[str]:
        """Criterion ids with the given scope and/or direction, in rubric order."""
        return [
            c.id
            for c in self.criteria
            if (scope is None or c.scope is scope) and (direction is None or c.direction is direction)
        ]

    # ----- scoring --------------------------------------------------------------------------

    def score(self, dimension: Dimension, met: int) -> int:
        """A dimension's score on the rubric's scale from how many of its criteria are met
        (the count itself when a dimension has as many criteria as the scale has steps)."""
        steps = self.scale.max - self.scale.min
        n = len(dimension.criteria)
        return self.scale.min + (met if n == steps else round(met * steps / n))

    def scores(self, met: dict[str, bool]) -> dict[str, int]:
        """Every dimension's score from per-criterion verdicts."""
        return {d.id: self.score(d, sum(1 for c in d.criteria if met[c.id])) for d in self.dimensions}

    def band(self, scores: dict[str, int]) -> Band:
        """Apply the band rules in order; the first that holds decides."""
        mean = sum(scores[d] for d in self.dimension_ids) / len(self.dimensions)
        for rule in self.bands:
            if rule.applies(scores, mean):
                return rule.band
        raise AssertionError("unreachable: the last band rule has no conditions")
