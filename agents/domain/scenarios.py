"""Interview scenarios (loaded from `prompts/scenarios/`) and how an interview picks them."""

from __future__ import annotations

import random
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator


class TaskKind(StrEnum):
    """The five kinds of job task the interview covers."""

    REVIEW = "review"
    RUBRIC = "rubric"
    PROMPT_DESIGN = "prompt_design"
    ESCALATION = "escalation"
    BIAS = "bias"


class Setting(StrEnum):
    """Healthcare system conventions a scenario is written in."""

    UK = "uk"
    US = "us"


PROFESSIONS: tuple[str, ...] = (
    "doctor",
    "nurse",
    "pharmacist",
    "physician_associate",
    "allied_health",
    "clinical_researcher",
)


class KeyRisk(BaseModel):
    """A scenario-specific criterion (what a careful answer to this scenario names)."""

    id: str
    text: str
    criterion: str
    cues: list[str] = Field(default_factory=list)


class Scenario(BaseModel):
    """One interview question with its material."""

    id: str
    version: int = 1
    kind: TaskKind
    setting: Setting
    professions: list[str] = Field(min_length=1)
    title: str
    question: str
    user_prompt: str | None = None
    ai_answer: str | None = None
    key_risks: list[KeyRisk] = Field(min_length=1)
    red_flags: list[str] = Field(default_factory=list)
    escalation: str
    probe_hints: dict[str, str] = Field(default_factory=dict)

    @field_validator("professions")
    @classmethod
    def _known_professions(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PROFESSIONS]
        if unknown:
            raise ValueError(f"unknown profession(s) {unknown}; expected some of {list(PROFESSIONS)}")
        return value


def choose_scenarios(
    bank: list[Scenario],
    *,
    count: int,
    profession: str | None,
    setting: Setting | None,
    rng: random.Random,
) -> list[Scenario]:
    """Pick `count` distinct scenarios, preferring the profession and setting, spreading task kinds.

    Scenarios matching both profession and setting come first; if there are too few, the choice
    widens to the setting, then to the whole bank, so an interview is never short. No scenario
    repeats, and consecutive questions avoid repeating a task kind where the bank allows.
    """
    if count < 1:
        raise ValueError("an interview needs at least one scenario")
    pools: list[list[Scenario]] = []
    in_setting = [s for s in bank if setting is None or s.setting == setting]
    pools.append([s for s in in_setting if profession is None or profession in s.professions])
    pools.append(in_setting)
    pools.append(list(bank))
    chosen: list[Scenario] = []
    for pool in pools:
        candidates = [s for s in pool if s not in chosen]
        rng.shuffle(candidates)
        while candidates and len(chosen) < count:
            used_kinds = {s.kind for s in chosen}
            fresh = [s for s in candidates if s.kind not in used_kinds]
            pick = fresh[0] if fresh else candidates[0]
            chosen.append(pick)
            candidates.remove(pick)
        if len(chosen) >= count:
            break
    return chosen
