"""Interview scenarios (loaded from `prompts/scenarios/`) and how an interview picks them."""

from __future__ import annotations

import random
import re
from datetime import date
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


# A cue said after one of these (within a few words) is said the other way round: "should not keep
# taking it" does not name the risk "keep taking it".
_NEGATION = re.compile(r"\b(?:not|no|never|don't|doesn't|shouldn't|mustn't|can't|cannot|without)\b(?:\W+\w+){0,2}\W*$")


def cue_said(cue: str, text: str) -> bool:
    """Whether a key-risk cue occurs in (folded, lower-case) text as a phrase, and not negated."""
    phrase = cue.lower().strip()
    if not phrase:
        return False
    for m in re.finditer(rf"(?<![\w&]){re.escape(phrase)}(?![\w&])", text):
        if not _NEGATION.search(text[max(0, m.start() - 40) : m.start()]):
            return True
    return False


class Source(BaseModel):
    """Where a scenario's clinical facts come from: an authoritative page and words copied from it."""

    url: str
    quote: str = Field(min_length=20, description="A passage copied word for word from the page.")
    checked: date = Field(description="When the page was last read.")


class KeyRisk(BaseModel):
    """A scenario-specific criterion (what a careful answer to this scenario names)."""

    id: str
    text: str
    criterion: str
    cues: list[str] = Field(default_factory=list)

    def named_in(self, text: str) -> bool:
        """Whether (folded) text names this risk by one of its cues, said as meant."""
        return any(cue_said(cue, text) for cue in self.cues)


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
    sources: list[Source] = Field(default_factory=list, description="Pages the clinical facts rest on.")

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
