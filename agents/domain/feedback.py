"""What a judge returns: per-criterion verdicts with quoted evidence, per-dimension scores with the
missing criteria and a "say it explicitly" suggestion, and the overall band.

Reasoning and evidence fields come before verdicts, so a model filling the schema writes its
evidence before it commits to a score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from agents.domain.rubric import Band
from agents.domain.speech import Delivery
from agents.domain.transcript import Transcript, utc_now


class JudgeKind(StrEnum):
    """How the feedback was produced."""

    RULE_BASED = "rule-based"
    MODEL = "model"
    FALLBACK = "fallback-rule-based"


class EvidenceQuote(BaseModel):
    """Words copied exactly from one candidate answer."""

    quote: str = Field(description="An exact, contiguous quote from the candidate's answer.")
    turn: int = Field(description="Turn number (1-based, counting every message) of the answer quoted.")


class CriterionResult(BaseModel):
    """The verdict on one criterion."""

    id: str = Field(description="Criterion id, e.g. 'B4'.")
    name: str = Field(default="", description="The criterion's short name in the rubric.")
    evidence: list[EvidenceQuote] = Field(default_factory=list, description="Quotes that show the criterion.")
    reasoning: str = Field(description="Why the criterion is or is not met explicitly.")
    met: bool = Field(description="True only when the candidate states it clearly and explicitly.")


class DimensionResult(BaseModel):
    """One dimension's score with its evidence and what was left unsaid."""

    id: str = Field(description="Dimension id.")
    name: str = Field(description="Dimension name for people.")
    criteria: list[CriterionResult] = Field(description="The dimension's criteria, in rubric order.")
    missing: list[str] = Field(default_factory=list, description="Ids of criteria not met explicitly.")
    suggestion: str | None = Field(default=None, description="One concrete 'say it explicitly' rewrite.")
    improves: EvidenceQuote | None = Field(
        default=None, description="The candidate's sentence the suggestion would improve, if one is close."
    )
    score: int = Field(ge=0, description="Criteria met, on the rubric's scale (0-4 in rubric v1).")


class AnswerDelivery(BaseModel):
    """One spoken answer's delivery, beside (never inside) the six dimensions' scores."""

    turn: int = Field(description="Index of the answer's turn.")
    scenario_id: str | None = None
    delivery: Delivery


def delivery_rows(transcript: Transcript) -> list[AnswerDelivery]:
    """The delivery figures of each answer given by voice."""
    return [
        AnswerDelivery(turn=t.index, scenario_id=t.scenario_id, delivery=t.spoken.delivery)
        for t in transcript.candidate_turns
        if t.spoken is not None
    ]


class TaskResult(BaseModel):
    """Whether the candidate did a scenario's task itself right (the ranking, the grades, the message,
    the invented references…), beside the six dimensions and never part of them."""

    scenario_id: str
    kind: str = Field(description="The scenario's task kind, e.g. 'rank'.")
    title: str
    evidence: list[EvidenceQuote] = Field(default_factory=list, description="The candidate's words it rests on.")
    expected: str = Field(description="What doing the task right produces.")
    found: list[str] = Field(description="What the answers produced, item by item, against what was expected.")
    right: bool = Field(description="True when the task was done right in full.")


class Disagreement(BaseModel):
    """A criterion the model judge and the offline judge decided differently on one interview."""

    id: str = Field(description="Criterion id.")
    name: str = ""
    model_met: bool = Field(description="The model judge's verdict (the one scored).")
    offline_met: bool = Field(description="The offline judge's verdict on the same answers.")
    offline_evidence: list[EvidenceQuote] = Field(default_factory=list, description="The offline judge's quotes.")


class Feedback(BaseModel):
    """The full judgement of one transcript."""

    source: str | None = Field(default=None, description="File or session the transcript came from.")
    transcript_id: str | None = None
    rubric_version: str
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    judge: str = Field(description="'offline' or the judge model's name.")
    judge_kind: JudgeKind
    fallback_reason: str | None = None
    dimensions: dict[str, DimensionResult]
    scores: dict[str, int]
    band: Band
    band_meaning: str = Field(default="", description="The band rule that gave this band, in words.")
    scale_max: int = Field(default=4, description="The highest score a dimension can have.")
    agreement: str | None = Field(default=None, description="How far this judge's scores agree with human labels.")
    flags: list[str] = Field(default_factory=list, description="e.g. 'injection' when grader-directed text was found.")
    notes: list[str] = Field(default_factory=list)
    scenario_coverage: dict[str, list[str]] = Field(
        default_factory=dict, description="Per scenario id, the scenario's key risks the answers named."
    )
    delivery: list[AnswerDelivery] = Field(
        default_factory=list, description="For answers given by voice: how they were delivered (never scored)."
    )
    disagreements: list[Disagreement] = Field(
        default_factory=list,
        description="With the model judge: the criteria the offline judge decided otherwise (shown, never scored).",
    )
    tasks: list[TaskResult] = Field(
        default_factory=list, description="For scenarios whose task has a right result: whether it was done right."
    )
    created_at: datetime = Field(default_factory=utc_now)

    def to_report_json(self) -> dict[str, Any]:
        """The `coach replay --format json` object for this feedback."""
        return {
            "source": self.source,
            "rubric_version": self.rubric_version,
            "judge": self.judge,
            "judge_kind": self.judge_kind.value,
            "fallback_reason": self.fallback_reason,
            "scores": dict(self.scores),
            "band": self.band.value,
            "dimensions": {
                d: {
                    "score": r.score,
                    "criteria": {
                        c.id: {
                            "met": c.met,
                            "evidence": [e.model_dump() for e in c.evidence],
                            "reasoning": c.reasoning,
                        }
                        for c in r.criteria
                    },
                    "missing": r.missing,
                    "suggestion": r.suggestion,
                    "improves": r.improves.model_dump() if r.improves else None,
                }
                for d, r in self.dimensions.items()
            },
            "flags": self.flags,
            "notes": self.notes,
            "prompt_versions": self.prompt_versions,
            "scenario_coverage": self.scenario_coverage,
            "delivery": [d.model_dump() for d in self.delivery],
            "tasks": [t.model_dump() for t in self.tasks],
            "disagreements": [d.model_dump() for d in self.disagreements],
        }


@dataclass
class ReferenceView:
    """A reference answer, sentence by sentence, with the criteria each sentence earned."""

    scenario_id: str
    title: str
    sentences: list[tuple[str, list[str]]]
    marked: list[str]  # what the answer's author says it meets
    credited: list[str]  # of those, what the offline judge credits
