"""What the interview says back, as events every front end renders in its own way: the
interviewer's messages (started, streamed, done), notes, and the service's own (welcome back,
judging, feedback, a transcript that could not be read)."""

from __future__ import annotations

from dataclasses import dataclass

from agents.domain.feedback import Feedback, ReferenceView
from agents.domain.transcript import Transcript, Turn, TurnKind
from agents.reporting.progress import Progress


@dataclass
class MessageStarted:
    """An interviewer message begins; tokens follow."""

    kind: TurnKind
    scenario_id: str | None = None
    progress: tuple[int, int] | None = None
    time_guide_seconds: int | None = None


@dataclass
class Token:
    """A piece of the interviewer's current message."""

    text: str


@dataclass
class MessageDone:
    """The message is complete and saved; `turn.text` is authoritative (replaces streamed text).
    `awaiting` is true when the message waits for the candidate's answer."""

    turn: Turn
    awaiting: bool = False
    time_guide_seconds: int | None = None


@dataclass
class Notice:
    """A note for the candidate that is not part of the interview (e.g. an answer was cut);
    `warning` when something went wrong."""

    text: str
    warning: bool = False


Event = MessageStarted | Token | MessageDone | Notice


@dataclass
class WelcomeBack:
    """An unfinished interview was picked up: how far it had gone."""

    transcript_id: str
    answered: int
    scenario: tuple[int, int] | None  # (current, total) while a scenario is under discussion


@dataclass
class JudgingStarted:
    """Judging has begun (it may take a moment with a model judge)."""

    description: str


@dataclass
class FeedbackReady:
    """Feedback on an interview or a replayed transcript, saved where it belongs."""

    transcript: Transcript
    feedback: Feedback
    label: str | None = None  # file stem for downloads of a replayed upload


@dataclass
class ProgressReady:
    """A user's scores across their interviews, and what they leave unsaid most often."""

    progress: Progress


@dataclass
class ReplayFailed:
    """An uploaded or named transcript could not be read."""

    name: str
    problem: str
    line: int | None = None
    message: str = ""  # the whole error, file and line included, for a terminal


@dataclass
class ReferenceReady:
    """After feedback: a strong answer to one of the interview's questions, marked sentence by sentence."""

    view: ReferenceView


@dataclass
class Heard:
    """A spoken answer was transcribed. A `draft` waits for the candidate to use or correct it
    (practice); otherwise it already counts as the answer (realistic, as on the day)."""

    text: str
    seconds: float
    draft: bool


@dataclass
class HeardFailed:
    """A spoken answer could not be transcribed; its recording is kept and can be tried again."""

    problem: str  # plain text: each front end escapes it for how it shows text
    kept: bool


@dataclass
class Voiced:
    """An interviewer message read aloud: a WAV file's bytes, for the message just done."""

    wav: bytes
    turn_index: int


ServiceEvent = (
    Event
    | WelcomeBack
    | JudgingStarted
    | FeedbackReady
    | ProgressReady
    | ReplayFailed
    | ReferenceReady
    | Heard
    | HeardFailed
    | Voiced
)
