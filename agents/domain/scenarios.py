"""Interview scenarios (loaded from `prompts/scenarios/`) and how an interview picks them."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from agents.errors import DataError
from agents.security.limits import read_bounded


class TaskKind(StrEnum):
    """The kinds of job task the interview covers: the five open ones, and six whose task itself has
    a right result the report checks beside the six dimensions (see `agents.judging.tasks`)."""

    REVIEW = "review"
    RUBRIC = "rubric"
    PROMPT_DESIGN = "prompt_design"
    ESCALATION = "escalation"
    BIAS = "bias"
    RANK = "rank"  # which of two plausible responses is better, and the decisive reason
    GRADE = "grade"  # grades against a supplied rubric, compared with reference grades
    MULTI_TURN = "multi_turn"  # the message of a chat where the AI should have changed course
    IDEAL_RESPONSE = "ideal_response"  # the response itself, checked against the key risks
    CITATIONS = "citations"  # which cited references are fabricated
    SCOPE_CREEP = "scope_creep"  # what the AI read into a result or image beyond its scope


CHECKED_KINDS = frozenset(
    {
        TaskKind.RANK,
        TaskKind.GRADE,
        TaskKind.MULTI_TURN,
        TaskKind.IDEAL_RESPONSE,
        TaskKind.CITATIONS,
        TaskKind.SCOPE_CREEP,
    }
)


class Setting(StrEnum):
    """Healthcare system conventions a scenario is written in."""

    UK = "uk"
    US = "us"


# Every profession the coach interviews: its id, the label a chooser shows, and how a sentence names it.
PROFESSION_TABLE: dict[str, tuple[str, str]] = {
    "doctor": ("Doctor / GP", "doctor"),
    "nurse": ("Nurse / ANP", "nurse"),
    "pharmacist": ("Pharmacist", "pharmacist"),
    "physician_associate": ("Physician associate", "physician associate"),
    "midwife": ("Midwife", "midwife"),
    "paramedic": ("Paramedic", "paramedic"),
    "mental_health_nurse": ("Mental health nurse", "mental health nurse"),
    "dietitian": ("Dietitian", "dietitian"),
    "occupational_therapist": ("Occupational therapist", "occupational therapist"),
    "dentist": ("Dentist", "dentist"),
    "allied_health": ("Other allied health professional", "allied health professional"),
    "clinical_researcher": ("Clinical researcher", "clinical researcher"),
}
PROFESSIONS: tuple[str, ...] = tuple(PROFESSION_TABLE)


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


# Where clinical facts may come from: the NHS, NICE (CKS, BNF), the UK government (MHRA); the CDC,
# FDA, NIH (MedlinePlus, DailyMed), AHA and USPSTF.
SOURCE_DOMAINS = (
    "nhs.uk",
    "nice.org.uk",
    "gov.uk",
    "cdc.gov",
    "fda.gov",
    "nih.gov",
    "medlineplus.gov",
    "heart.org",
    "stroke.org",  # the American Stroke Association, a division of the American Heart Association
    "uspreventiveservicestaskforce.org",
)


class Source(BaseModel):
    """Where a scenario's clinical facts come from: an authoritative page and words copied from it."""

    url: str
    quote: str = Field(min_length=20, description="A passage copied word for word from the page.")
    checked: date = Field(description="When the page was last read.")

    @field_validator("url")
    @classmethod
    def _authoritative(cls, value: str) -> str:
        host = (urlparse(value).hostname or "").lower()
        if urlparse(value).scheme not in ("https", "http") or not any(
            host == d or host.endswith("." + d) for d in SOURCE_DOMAINS
        ):
            raise ValueError(f"a source must be a web page on one of {list(SOURCE_DOMAINS)}")
        return value


class KeyRisk(BaseModel):
    """A scenario-specific criterion (what a careful answer to this scenario names)."""

    id: str
    text: str
    criterion: str
    cues: list[str] = Field(default_factory=list)

    def named_in(self, text: str) -> bool:
        """Whether (folded) text names this risk by one of its cues, said as meant."""
        return any(cue_said(cue, text) for cue in self.cues)


class Response(BaseModel):
    """One of the responses a ranking task shows."""

    label: str = Field(pattern=r"^[A-D]$", description="A, B…: how the candidate names it.")
    text: str = Field(min_length=1)


class ChatMessage(BaseModel):
    """One message of the chat a multi-turn task shows."""

    role: Literal["user", "ai"]
    text: str = Field(min_length=1)


class GradingItem(BaseModel):
    """One item of the rubric a grading task supplies, with this answer's reference grade."""

    id: str = Field(pattern=r"^R\d+$", description="R1, R2…: how the candidate names it.")
    text: str = Field(min_length=1)
    grade: Literal["met", "not_met"] = Field(description="The reference grade of the AI answer on this item.")


class TaskCheck(BaseModel):
    """What doing the task right produces, for the kinds that have one (the fields of its kind)."""

    better: str | None = Field(default=None, description="rank: the better response's label.")
    reason: str | None = Field(default=None, description="rank: the decisive reason; scope_creep: the overreach.")
    reason_cues: list[str] = Field(default_factory=list, description="rank: phrases that give the reason.")
    turn: int | None = Field(
        default=None, ge=1, description="multi_turn: the AI message (1-based) that should have changed course."
    )
    turn_cues: list[str] = Field(default_factory=list, description="multi_turn: phrases naming the late red flag.")
    fabricated: list[int] = Field(default_factory=list, description="citations: the invented references' numbers.")
    genuine: list[int] = Field(default_factory=list, description="citations: the real references' numbers.")
    overreach: str | None = Field(default=None, description="scope_creep: what the AI claimed it could not know.")
    overreach_cues: list[str] = Field(default_factory=list, description="scope_creep: phrases naming it.")


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
    key_risks: list[KeyRisk] = Field(default_factory=list, description="Every bank scenario has some.")
    red_flags: list[str] = Field(default_factory=list)
    escalation: str = ""
    probe_hints: dict[str, str] = Field(default_factory=dict)
    sources: list[Source] = Field(default_factory=list, description="Pages the clinical facts rest on.")
    own: bool = Field(default=False, description="Written by the user, not from the bank.")
    reference_answer: str | None = Field(
        default=None,
        description="A strong answer to the question, shown only after feedback, never to the interviewer.",
    )
    reference_meets: list[str] = Field(default_factory=list, description="The criteria the reference answer states.")
    responses: list[Response] = Field(default_factory=list, description="rank: the responses to compare.")
    chat: list[ChatMessage] = Field(default_factory=list, description="multi_turn: the chat, user first.")
    grading_rubric: list[GradingItem] = Field(default_factory=list, description="grade: the rubric to apply.")
    check: TaskCheck | None = Field(default=None, description="What doing this kind of task right produces.")

    @property
    def material(self) -> str:
        """Everything the candidate is shown besides the question: the prompt, the answer, the
        responses to rank, the chat, the rubric to apply."""
        parts = [self.user_prompt or "", self.ai_answer or ""]
        parts += [r.text for r in self.responses] + [m.text for m in self.chat]
        parts += [g.text for g in self.grading_rubric]
        return "\n\n".join(p for p in parts if p)

    @model_validator(mode="after")
    def _task_material(self) -> Scenario:
        """Each checked kind has the material and the check it needs (a user's own scenario of
        such a kind too: without them there is nothing to check)."""
        kind, check = self.kind, self.check or TaskCheck()
        problem: str | None = None
        if kind is TaskKind.RANK:
            labels = [r.label for r in self.responses]
            if len(labels) != 2 or len(set(labels)) != 2:
                problem = "responses: a ranking task shows exactly two responses with different labels"
            elif check.better not in labels:
                problem = f"check.better: must be one of the responses' labels {labels}"
            elif not check.reason_cues:
                problem = "check.reason_cues: give the phrases that state the decisive reason"
        elif kind is TaskKind.GRADE:
            ids = [g.id for g in self.grading_rubric]
            if len(ids) < 3 or len(set(ids)) != len(ids):
                problem = "grading_rubric: at least three items with different ids (R1, R2…)"
            elif not self.ai_answer:
                problem = "ai_answer: a grading task grades an AI answer"
        elif kind is TaskKind.MULTI_TURN:
            if len(self.chat) < 4 or self.chat[0].role != "user":
                problem = "chat: at least four messages, the user's first"
            elif check.turn is None or check.turn > len(self.chat) or self.chat[check.turn - 1].role != "ai":
                problem = "check.turn: the number (1-based) of an AI message in chat"
            elif not check.turn_cues:
                problem = "check.turn_cues: give the phrases that name the late red flag"
        elif kind is TaskKind.CITATIONS:
            numbers = sorted(check.fabricated + check.genuine)
            cited = sorted({int(n) for n in re.findall(r"\[(\d+)\]", self.ai_answer or "")})
            if not check.fabricated:
                problem = "check.fabricated: the numbers of the invented references"
            elif numbers != cited:
                problem = f"check: fabricated and genuine together must list every reference cited {cited}"
        elif kind is TaskKind.SCOPE_CREEP:
            if not check.overreach_cues or not self.ai_answer:
                problem = "check.overreach_cues and ai_answer: the answer that overreaches and phrases naming it"
        elif kind is TaskKind.IDEAL_RESPONSE:
            if not self.user_prompt or self.ai_answer:
                problem = "user_prompt (and no ai_answer): the candidate writes the response"
            elif not self.key_risks and not self.own:
                problem = "key_risks: what the ideal response must contain"
        if problem is not None:
            raise ValueError(problem)
        return self

    @property
    def exercises(self) -> set[str]:
        """The criteria this scenario is written to exercise (its key risks and probe hints)."""
        return {r.criterion for r in self.key_risks} | set(self.probe_hints)

    @field_validator("professions")
    @classmethod
    def _known_professions(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PROFESSIONS]
        if unknown:
            raise ValueError(f"unknown profession(s) {unknown}; expected some of {list(PROFESSIONS)}")
        return value


MAX_OWN_SCENARIO_BYTES = 64 * 1024


def load_own_scenario(path: Path, setting: str | None = None) -> Scenario:
    """A scenario the user wrote: `title` and `question`, optionally `user_prompt`, `ai_answer`,
    `setting` and anything else the bank's files have. Raises DataError naming the field and line."""
    try:
        raw = read_bounded(path, MAX_OWN_SCENARIO_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as a scenario ({exc})") from exc
    return own_scenario_from_text(raw, str(path), setting)


def own_scenario_from_text(raw: str, path: str, setting: str | None = None) -> Scenario:
    """`load_own_scenario` for text pasted or read already; `path` names it in messages."""
    if len(raw.encode("utf-8")) > MAX_OWN_SCENARIO_BYTES:
        raise DataError(f"{path}: a scenario is at most {MAX_OWN_SCENARIO_BYTES // 1024} KB")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise DataError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, dict):
        raise DataError(f"{path}, line 1: a scenario is a mapping with at least 'title' and 'question'")
    missing = [k for k in ("title", "question") if not str(data.get(k) or "").strip()]
    if missing:
        raise DataError(f"{path}: a scenario needs {' and '.join(repr(m) for m in missing)}")
    given = {k: v for k, v in data.items() if v is not None}
    title = str(given["title"])
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:8]
    given.setdefault("id", f"own-{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')[:40]}-{digest}")
    given.setdefault("kind", TaskKind.REVIEW.value if given.get("ai_answer") else TaskKind.PROMPT_DESIGN.value)
    given.setdefault("setting", setting or Setting.UK.value)
    given.setdefault("professions", list(PROFESSIONS))
    given["own"] = True
    try:
        return Scenario.model_validate(given)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        line = _line_of(raw, key)
        where = f", line {line}" if line else ""
        field = ".".join(str(p) for p in err["loc"]) or "document"
        raise DataError(f"{path}{where}: field {field}: {err['msg']}") from exc


def _line_of(text: str, key: str) -> int | None:
    """The line (1-based) where a top-level key of a YAML mapping is written."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if getattr(k, "value", None) == key:
                return int(k.start_mark.line) + 1
    return None


def choose_scenarios(
    bank: list[Scenario],
    *,
    count: int,
    profession: str | None,
    setting: Setting | None,
    rng: random.Random,
    focus: list[str] | None = None,
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
        if focus:
            # A drill: the scenarios that exercise the most of the criteria being drilled come first.
            candidates.sort(key=lambda s: -len(set(focus) & s.exercises))
        while candidates and len(chosen) < count:
            used_kinds = {s.kind for s in chosen}
            fresh = [s for s in candidates if s.kind not in used_kinds]
            pick = fresh[0] if fresh else candidates[0]
            chosen.append(pick)
            candidates.remove(pick)
        if len(chosen) >= count:
            break
    return chosen
