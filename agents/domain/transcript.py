"""Transcripts: the versioned schema, atomic saving after every turn, and the two readers
(our JSON and the plain-text `Interviewer:` / `Candidate:` format).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from agents.domain.scenarios import Scenario
from agents.domain.speech import SpokenAnswer
from agents.errors import TranscriptError, validation_problems
from agents.security.files import atomic_write
from agents.security.limits import LimitError, json_depth_problem, read_bounded

SCHEMA_VERSION: Literal[1] = 1
MAX_FILE_BYTES = 2_000_000
MAX_TURNS = 2_000

_LABEL_RE = re.compile(r"^[ \t]*[*_]{0,2}(interviewer|candidate)[*_]{0,2}[ \t]*:[*_]{0,2}[ \t]?(.*)$", re.I)


def utc_now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Role(StrEnum):
    """Who spoke."""

    INTERVIEWER = "interviewer"
    CANDIDATE = "candidate"


class TurnKind(StrEnum):
    """What a turn was for."""

    INTRO = "intro"
    QUESTION = "question"
    PROBE = "probe"
    CONSISTENCY = "consistency"
    ANSWER = "answer"
    REFUSAL = "refusal"
    CLOSING = "closing"


class Turn(BaseModel):
    """One message in the interview."""

    index: int = Field(description="Position in the transcript, from 0.")
    role: Role
    text: str
    kind: TurnKind
    scenario_id: str | None = None
    probe_target: str | None = Field(default=None, description="Criterion id a probe aimed at.")
    timestamp: datetime = Field(default_factory=utc_now)
    truncated: bool = False
    redactions: list[str] = Field(default_factory=list, description="Kinds of personal data removed.")
    spoken: SpokenAnswer | None = Field(default=None, description="For an answer given by voice: what was heard.")


class InterviewConfig(BaseModel):
    """What the candidate chose before the interview started."""

    profession: str | None = None
    setting: Literal["uk", "us"] | None = None
    scenario_count: int = Field(default=3, ge=1, le=12)
    max_probes: int = Field(default=1, ge=0, le=3)
    timing: Literal["practice", "realistic"] = "practice"
    seed: int | None = None
    focus: list[str] = Field(
        default_factory=list, max_length=4, description="Criteria to drill: scenarios and probes that exercise them."
    )


class Phase(StrEnum):
    """Where the interview stands."""

    NOT_STARTED = "not_started"
    AWAITING_ANSWER = "awaiting_answer"
    AWAITING_PROBE_ANSWER = "awaiting_probe_answer"
    AWAITING_CONSISTENCY = "awaiting_consistency"
    FINISHED = "finished"


class InterviewState(BaseModel):
    """The engine's position, saved in the transcript so an interview can be resumed anywhere."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    phase: Phase = Field(default=Phase.NOT_STARTED, description="Where the interview stands.")
    position: int = Field(default=0, ge=0, le=MAX_TURNS, description="Index of the current scenario.")
    probes_used: int = Field(default=0, ge=0, le=10, description="Follow-up probes asked on this scenario.")
    probed: list[Annotated[str, StringConstraints(max_length=16)]] = Field(
        default_factory=list, max_length=24, description="Criteria already probed on this scenario."
    )
    consistency_done: bool = Field(default=False, description="Whether the cross-scenario question was asked.")


class Status(StrEnum):
    """Where an interview stands."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ENDED_EARLY = "ended_early"
    IMPORTED = "imported"


MAX_FLAG_REASON = 500


class VerdictFlag(BaseModel):
    """A candidate's "this verdict is wrong", kept with the versions it was judged under. Flags are
    candidate labels for the next labelling round, reviewed by people before any use."""

    criterion: str = Field(description="The criterion whose verdict is disputed, e.g. 'C2'.")
    verdict: bool = Field(description="What the judge said: met (true) or not met (false).")
    reason: str = Field(min_length=1, max_length=MAX_FLAG_REASON, description="Why the candidate disagrees.")
    judge: str = Field(description="Which judge gave the verdict.")
    rubric_version: str
    analyzer_version: str | None = None
    created_at: datetime = Field(default_factory=utc_now)


class Transcript(BaseModel):
    """A whole interview: settings, scenarios, turns and the versions in force. Never holds secrets."""

    schema_version: Literal[1] = SCHEMA_VERSION
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    revision: int = Field(
        default=0, ge=0, description="Saves so far; a save must name the revision it read (no silent overwrite)."
    )
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    status: Status = Status.IN_PROGRESS
    config: InterviewConfig = Field(default_factory=InterviewConfig)
    scenario_ids: list[str] = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)
    rubric_version: str | None = None
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    models: dict[str, str] = Field(default_factory=dict)
    owner: str | None = Field(default=None, description="User identifier when authentication is on.")
    state: InterviewState = Field(default_factory=InterviewState, description="Engine position, for resuming.")
    flags: list[VerdictFlag] = Field(default_factory=list, description="Verdicts the candidate disputes.")
    own_scenarios: list[Scenario] = Field(
        default_factory=list, description="Scenarios the user wrote, kept whole so the interview can resume."
    )

    def scenario(self, scenario_id: str, library_scenario: Callable[[str], Scenario]) -> Scenario:
        """A scenario of this interview: the user's own, else the bank's."""
        for own in self.own_scenarios:
            if own.id == scenario_id:
                return own
        return library_scenario(scenario_id)

    source: str | None = Field(default=None, exclude=True)

    def add_turn(self, role: Role, text: str, kind: TurnKind, **extra: Any) -> Turn:
        """Append a turn and return it."""
        turn = Turn(index=len(self.turns), role=role, text=text, kind=kind, **extra)
        self.turns.append(turn)
        self.updated_at = utc_now()
        return turn

    @property
    def candidate_turns(self) -> list[Turn]:
        """The candidate's answers, in order."""
        return [t for t in self.turns if t.role is Role.CANDIDATE]


def save_transcript(transcript: Transcript, directory: Path) -> Path:
    """Write the transcript as JSON atomically (see `atomic_write`): a crash at any moment leaves
    either the previous complete file or the new one, never half."""
    return atomic_write(directory / f"{transcript.id}.json", transcript.model_dump_json(indent=2).encode("utf-8"))


def _decode(raw: bytes, source: str) -> str:
    if b"\x00" in raw[:4096]:
        raise TranscriptError(source, "this looks like a binary file, not a transcript (JSON or plain text)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TranscriptError(source, "not UTF-8 text; save the file as UTF-8 and try again", line) from exc


def parse_transcript_text(text: str, source: str = "<text>") -> Transcript:
    """Read a transcript from text: JSON when it starts with '{', else the plain-text format."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _parse_json(text, source)
    return _parse_plain(text, source)


def load_transcript(path: Path, source: str | None = None) -> Transcript:
    """Read a transcript file (JSON or plain text). Raises TranscriptError naming file, line and problem."""
    name = source or str(path)
    try:
        raw = read_bounded(path, MAX_FILE_BYTES)
    except FileNotFoundError as exc:
        raise TranscriptError(name, "file not found") from exc
    except IsADirectoryError as exc:
        raise TranscriptError(name, "is a folder, not a transcript file") from exc
    except LimitError as exc:
        raise TranscriptError(name, str(exc)) from exc
    except OSError as exc:
        raise TranscriptError(name, f"cannot be read ({exc.strerror})") from exc
    transcript = parse_transcript_text(_decode(raw, name), name)
    transcript.source = name
    return transcript


def load_transcript_bytes(raw: bytes, source: str) -> Transcript:
    """Read a transcript from uploaded bytes, with the same checks as a file."""
    if len(raw) > MAX_FILE_BYTES:
        raise TranscriptError(source, f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    transcript = parse_transcript_text(_decode(raw, source), source)
    transcript.source = source
    return transcript


def _parse_json(text: str, source: str) -> Transcript:
    deep = json_depth_problem(text)
    if deep is not None:
        raise TranscriptError(source, f"JSON is nested more than {deep[1] - 1} levels deep, past the limit", deep[0])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(source, f"not valid JSON ({exc.msg})", exc.lineno) from exc
    if not isinstance(data, dict):
        raise TranscriptError(source, "JSON transcript must be an object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise TranscriptError(
            source, f"schema_version is {repr(version)[:40]}; this coach reads schema_version {SCHEMA_VERSION}"
        )
    if isinstance(data.get("turns"), list) and len(data["turns"]) > MAX_TURNS:
        raise TranscriptError(source, f"{len(data['turns'])} turns; the limit is {MAX_TURNS}")
    try:
        transcript = Transcript.model_validate(data)
    except ValidationError as exc:
        raise TranscriptError(source, f"field {validation_problems(exc, limit=1)[0]}") from exc
    for pos, turn in enumerate(transcript.turns):
        turn.index = pos
    return transcript


def _parse_plain(text: str, source: str) -> Transcript:
    transcript = Transcript(status=Status.IMPORTED)
    current_role: Role | None = None
    buffer: list[str] = []
    preamble_line: int | None = None

    def flush() -> None:
        if current_role is None:
            return
        body = "\n".join(buffer).strip()
        kind = TurnKind.ANSWER if current_role is Role.CANDIDATE else TurnKind.QUESTION
        transcript.add_turn(current_role, body, kind)
        if len(transcript.turns) > MAX_TURNS:
            raise TranscriptError(source, f"more than {MAX_TURNS} turns")

    for lineno, line in enumerate(text.splitlines(), start=1):
        match = _LABEL_RE.match(line)
        if match:
            flush()
            current_role = Role(match.group(1).lower())
            buffer = [match.group(2)]
        elif current_role is None:
            if line.strip() and preamble_line is None:
                preamble_line = lineno
        else:
            buffer.append(line)
    flush()
    if not transcript.turns:
        where = preamble_line or 1
        raise TranscriptError(
            source,
            "no 'Interviewer:' or 'Candidate:' label found at the start of a line; "
            "a plain-text transcript is blocks that each start with one of those labels",
            where,
        )
    if not transcript.candidate_turns:
        raise TranscriptError(source, "no 'Candidate:' block found, so there is nothing to judge")
    return transcript
