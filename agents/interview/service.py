"""The interview service: what every front end calls. The browser (Chainlit), the terminal and the
simulations drive the same `Conversation`, and render the same events; none of them decides what
happens next.

A `Conversation` is one user's connection: start, answer, upload transcripts to replay, change
settings, end, resume and feedback. Each call is an async stream of events: the interview's own
(`MessageStarted`, `Token`, `MessageDone`, `Notice`) and the service's (`WelcomeBack`,
`JudgingStarted`, `FeedbackReady`, `ReplayFailed`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from agents.config import Mode, Settings
from agents.domain.feedback import Feedback
from agents.domain.library import PromptLibrary
from agents.domain.rubric import Scope
from agents.domain.scenarios import Scenario, own_scenario_from_text
from agents.domain.speech import SpokenAnswer
from agents.domain.transcript import (
    MAX_FLAG_REASON,
    InterviewConfig,
    Phase,
    Status,
    Transcript,
    TurnKind,
    VerdictFlag,
    load_transcript,
    utc_now,
)
from agents.errors import CoachError, ConfigurationError, ConflictError, DataError, TranscriptError
from agents.interview.choices import SettingsProblem, config_from_choices, parse_start_command
from agents.interview.doctor import DoctorReport, diagnose
from agents.interview.events import (
    Event,
    FeedbackReady,
    JudgingStarted,
    MessageDone,
    MessageStarted,
    Notice,
    ProgressReady,
    ReferenceReady,
    ReplayFailed,
    ServiceEvent,
    Token,
    WelcomeBack,
)
from agents.interview.session import InterviewSession
from agents.interview.voice import VoiceChannel
from agents.judging.factory import Judge, make_judge, make_pool
from agents.judging.pool import PooledOfflineJudge
from agents.judging.reference import reference_view
from agents.models.gateway import ModelGateway
from agents.reporting.progress import Progress, missed_counts, progress_of, ranked_misses
from agents.security.markdown import md_inline
from agents.speech.engines import Transcriber
from agents.speech.factory import make_speaker, make_transcriber
from agents.speech.voice import Speaker
from agents.storage.preferences import PreferenceStore
from agents.storage.recordings import RecordingStore
from agents.storage.repository import TranscriptRepository

RESUME_WINDOW = timedelta(days=7)
_FLAG = re.compile(r"^\s*flag\b[\s:]*", re.I)  # "flag C2: reason", after feedback
_OWN = re.compile(r"^\s*my scenario\s*:?\s*\n", re.I)  # "My scenario:" then the scenario's fields
logger = logging.getLogger("coach.interview")
_PROGRESS = re.compile(r"^\s*(?:my\s+)?progress\s*$", re.I)  # "My progress", between interviews
_DRILL = re.compile(r"^\s*(?:drill|practi[sc]e my weakest( criteria)?)\s*$", re.I)
MAX_REPLAY_FILES = 5  # per message in the browser; more are refused with a message, not judged

__all__ = [
    "Conversation",
    "Event",
    "FeedbackReady",
    "InterviewService",
    "JudgingStarted",
    "MessageDone",
    "MessageStarted",
    "Notice",
    "ReplayFailed",
    "ServiceEvent",
    "Token",
    "Upload",
    "WelcomeBack",
]


@dataclass(frozen=True)
class Upload:
    """A file the user handed over: the name they gave it and where it now lies (None if lost)."""

    name: str
    path: str | None


class InterviewService:
    """What one process shares between users: settings, prompts, storage, judges, endpoint health."""

    def __init__(
        self,
        settings: Settings,
        library: PromptLibrary,
        repository: TranscriptRepository,
        *,
        pooled_judging: bool = False,
        interviewer_gateway: Callable[[], ModelGateway | None] | None = None,
        live_judge: Callable[[], Judge] | None = None,
    ) -> None:
        """`pooled_judging` runs the offline judge in worker processes (the web app's choice);
        `interviewer_gateway` and `live_judge` replace the interviewer's model and the live
        interview's judge that configuration would choose (simulations pass cached ones)."""
        self.settings = settings
        self.library = library
        self.repository = repository
        self.pooled_judging = pooled_judging
        self._gateway = interviewer_gateway
        self._live_judge = live_judge
        self._pool: PooledOfflineJudge | None = None
        self._endpoint: DoctorReport | None = None
        self.recordings = RecordingStore(settings.coach_data_dir / "recordings")
        self.preferences = PreferenceStore(settings.coach_data_dir / "preferences")
        self._transcribers: dict[bool, Transcriber] = {}
        self._speaker: Speaker | Literal[False] | None = False  # False: not built yet

    # ----- judges ---------------------------------------------------------------------------

    def _offline_pool(self) -> PooledOfflineJudge | None:
        # Worker processes started on first use and shared by every user of this process.
        if not self.pooled_judging:
            return None
        if self._pool is None:
            self._pool = make_pool(self.settings)
        return self._pool

    def live_judge(self) -> Judge:
        """The judge of a live interview: offline, or the model judge judging as scenarios end."""
        if self._live_judge is not None:
            return self._live_judge()
        pool = self._offline_pool() if self.settings.mode is Mode.OFFLINE else None
        return make_judge(self.settings, self.library, incremental=True, pool=pool, parts=self.repository)

    def replay_judge(self, mode: str | None = None) -> Judge:
        """The judge of a replayed transcript (`mode` "offline" or "llm"; by configuration if None)."""
        offline = mode == "offline" or (mode is None and self.settings.mode is Mode.OFFLINE)
        return make_judge(self.settings, self.library, mode, pool=self._offline_pool() if offline else None)

    # ----- speech ----------------------------------------------------------------------------

    def transcriber(self, *, hosted_allowed: bool) -> Transcriber:
        """Speech-to-text as configured (the local model until the user agreed to a hosted one);
        built once per process and shared."""
        if hosted_allowed not in self._transcribers:
            self._transcribers[hosted_allowed] = make_transcriber(self.settings, hosted_allowed=hosted_allowed)
        return self._transcribers[hosted_allowed]

    def speaker(self) -> Speaker | None:
        """The interviewer's voice, or None when it is off or cannot work here."""
        if self._speaker is False:
            try:
                self._speaker = make_speaker(self.settings)
            except ConfigurationError:
                self._speaker = None
        return self._speaker

    def close(self) -> None:
        """Stop judging workers, if any were started."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    # ----- interviews -----------------------------------------------------------------------

    async def endpoint_problem(self) -> str | None:
        """In model mode, what is wrong with the endpoint, if anything. Checked once per process
        while it works, and again on every asking while it keeps failing."""
        if self.settings.mode is not Mode.OPENAI:
            return None
        if self._endpoint is None or not self._endpoint.usable:
            self._endpoint = await diagnose(self.settings, timeout=10)
        return None if self._endpoint.usable else self._endpoint.summary()

    async def resumable(self, owner: str | None, *, within: timedelta | None = RESUME_WINDOW) -> Transcript | None:
        """The most recent unfinished interview of this owner, begun or answered `within` the window
        (any age when None): one still being answered, or one answered to the end whose feedback was
        never given (its instance died while judging). Without login (no owner), only interviews
        that belong to nobody."""
        cutoff = utc_now() - within if within is not None else None
        for t in await self.repository.interviews(owner):
            if (cutoff is not None and t.updated_at < cutoff) or (owner is None and t.owner is not None):
                continue
            if t.status is Status.IN_PROGRESS and t.state.phase is not Phase.FINISHED:
                return t
            # Closed by the interviewer (not left for another interview) and never judged.
            closed = t.status in (Status.COMPLETED, Status.ENDED_EARLY) and bool(t.turns)
            if closed and t.turns[-1].kind is TurnKind.CLOSING and await self.repository.load_feedback(t.id) is None:
                return t
        return None

    async def feedbacks(self, owner: str | None, *, limit: int | None = None) -> list[Feedback]:
        """The feedback of this owner's finished interviews, newest first (`limit`: at most so many)."""
        found: list[Feedback] = []
        for t in await self.repository.interviews(owner):
            if limit is not None and len(found) >= limit:
                break
            if t.status is Status.IN_PROGRESS or (owner is None and t.owner is not None):
                continue
            feedback = await self.repository.load_feedback(t.id)
            if feedback is not None:
                found.append(
                    feedback if feedback.transcript_id else feedback.model_copy(update={"transcript_id": t.id})
                )
        return found

    async def weakest(self, owner: str | None, *, count: int = 2, recent: int = 5) -> list[str]:
        """The criteria this owner missed most in their latest finished interviews with feedback
        (per-answer criteria only: a probe or a scenario can exercise those). Ties go by rubric order."""
        drillable = self.library.rubric.ids_where(scope=Scope.ANSWER)
        counts = missed_counts(await self.feedbacks(owner, limit=recent), drillable)
        return ranked_misses(counts, drillable)[:count]

    async def progress(self, owner: str | None) -> Progress:
        """This owner's scores across their interviews and what they leave unsaid most often."""
        return progress_of(await self.feedbacks(owner), self.library.rubric)

    async def delete_interviews(self, owner: str | None, transcript_ids: Sequence[str] | None = None) -> list[str]:
        """Delete these interviews of `owner` (all of theirs when None; with no login, those that
        belong to nobody) with their feedback, judged parts and recordings; the ids deleted."""
        if transcript_ids is None:
            transcript_ids = [
                t.id for t in await self.repository.interviews(owner) if owner is not None or t.owner is None
            ]
        deleted: list[str] = []
        for transcript_id in transcript_ids:
            if owner is None and (await self.repository.get(transcript_id)).owner is not None:
                # Without login there is one local owner, and a user's interview is not theirs.
                raise TranscriptError(transcript_id, "no such interview for this user")
            if await self.repository.delete(transcript_id, owner):
                deleted.append(transcript_id)
            self.recordings.delete_all(transcript_id)
        return deleted

    async def delete_older_than(self, days: float) -> list[str]:
        """Retention: delete every interview not touched for `days` (any owner's); the ids deleted."""
        cutoff = utc_now() - timedelta(days=days)
        old = [t.id for t in await self.repository.interviews(None) if t.updated_at < cutoff]
        deleted = []
        for transcript_id in old:
            if await self.repository.delete(transcript_id):
                deleted.append(transcript_id)
            self.recordings.delete_all(transcript_id)
        return deleted

    async def cohort_progress(self, members: Sequence[str]) -> dict[str, Progress]:
        """Each member's progress (an educator's view of their cohort; the caller names the members)."""
        return {m: await self.progress(m) for m in members}

    async def new_session(
        self, config: InterviewConfig, owner: str | None, own: list[Scenario] | None = None
    ) -> InterviewSession:
        """A fresh interview (on the user's `own` scenarios, if given), saved before its first question."""
        return await InterviewSession.new(
            config,
            settings=self.settings,
            library=self.library,
            store=self.repository,
            owner=owner,
            gateway=self._gateway() if self._gateway is not None else None,
            judge=self.live_judge(),
            own=own,
        )

    def resume_session(self, transcript: Transcript) -> InterviewSession:
        """Carry on from a saved transcript."""
        return InterviewSession.resume(
            transcript,
            settings=self.settings,
            library=self.library,
            store=self.repository,
            gateway=self._gateway() if self._gateway is not None else None,
            judge=self.live_judge(),
        )

    async def replay(
        self, uploads: Sequence[Upload], *, mode: str | None = None, limit: int | None = None
    ) -> AsyncIterator[ServiceEvent]:
        """Judge each transcript again: one `FeedbackReady` or `ReplayFailed` per file, in order."""
        if limit is not None and len(uploads) > limit:
            yield Notice(
                f"**{len(uploads)} files were dropped; up to {limit} are judged at a time.** The first {limit} "
                "are judged now; send the others in another message.",
                warning=True,
            )
            uploads = uploads[:limit]
        judge = self.replay_judge(mode)
        for upload in uploads:
            try:
                if not upload.path:
                    raise TranscriptError(upload.name, "the upload arrived without its file")
                transcript = load_transcript(Path(upload.path), source=upload.name)
            except TranscriptError as exc:
                yield ReplayFailed(upload.name, exc.problem, exc.line, str(exc))
                continue
            yield JudgingStarted(f"Replaying {md_inline(upload.name, 80)}")
            feedback = await judge.evaluate(transcript)
            feedback.source = upload.name
            yield FeedbackReady(transcript, feedback, label=Path(upload.name).stem)

    def conversation(self, owner: str | None = None, *, timing: str = "practice") -> Conversation:
        """A new connection for `owner` (None without login) in the "practice" or "realistic" profile."""
        return Conversation(self, owner, timing)


class Conversation:
    """One user's connection: the interview under way (if any) and the choices for the next one."""

    def __init__(self, service: InterviewService, owner: str | None, timing: str) -> None:
        self.service = service
        self.owner = owner
        self.timing = timing
        self.session: InterviewSession | None = None
        self.choices: dict[str, Any] = {}
        self.voice = VoiceChannel(self)
        # A browser sends a message as soon as the page shows, while the connection's opening may
        # still be running: front ends that run handlers concurrently hold this around each one.
        self.lock = asyncio.Lock()

    @property
    def transcript_id(self) -> str | None:
        """The interview this connection is on, if any."""
        return self.session.transcript.id if self.session is not None else None

    @property
    def active(self) -> bool:
        """True while an interview is under way."""
        return self.session is not None and not self.session.finished

    # ----- opening ----------------------------------------------------------------------------

    async def open(self) -> AsyncIterator[ServiceEvent]:
        """A new connection: say if the model endpoint is unusable; pick up an unfinished interview."""
        problem = await self.service.endpoint_problem()
        if problem:
            yield Notice(
                f"**The model endpoint is not usable** — {problem}\n\nYou can still practise: questions come from "
                "the scenario bank and your answers are scored by the offline judge, labelled as the fallback. "
                "Fix the settings (`coach doctor` shows the details) and restart, or unset `OPENAI_API_KEY` and "
                "`OPENAI_BASE_URL` for offline mode.",
                warning=True,
            )
        if self.session is not None:
            return  # this connection began (or finished) an interview already: that one is its own
        pending = await self.service.resumable(self.owner)
        if pending is not None:
            async for ev in self._resume(pending, welcome_back=True):
                yield ev

    async def open_interview(self, transcript_id: str) -> AsyncIterator[ServiceEvent]:
        """Open a past interview by id (a thread from the history): carry on, or show its feedback."""
        try:
            transcript = await self.service.repository.get(transcript_id, owner=self.owner)
        except TranscriptError as exc:
            yield Notice(f"That interview could not be opened: {md_inline(exc.problem, 300)}", warning=True)
            return
        async for ev in self._resume(transcript, welcome_back=False):
            yield ev

    async def resume_latest(self, wanted: str = "") -> AsyncIterator[ServiceEvent]:
        """Carry on the interview `wanted` (an id), or the latest unfinished one of any age."""
        if wanted:
            transcript = await self.service.repository.get(wanted, owner=self.owner)
        else:
            found = await self.service.resumable(self.owner, within=None)
            if found is None:
                raise ConfigurationError("no unfinished interview to resume")
            transcript = found
        if transcript.status is not Status.IN_PROGRESS:
            raise ConfigurationError(f"interview {transcript.id} has already ended ({transcript.status.value})")
        async for ev in self._resume(transcript, welcome_back=True):
            yield ev

    async def _resume(
        self, transcript: Transcript, *, welcome_back: bool, go_on: bool = True
    ) -> AsyncIterator[ServiceEvent]:
        """Carry on a saved interview: its feedback if it is finished, else its pending question, or
        (`go_on`) the reply to an answer saved but never replied to."""
        session = self.service.resume_session(transcript)
        self.session = session
        if session.finished:
            feedback = await self.service.repository.load_feedback(transcript.id)
            if feedback is None and welcome_back:
                yield Notice(
                    f"**Welcome back.** Your interview was finished ({len(transcript.candidate_turns)} answer(s) "
                    "saved), but its feedback was still being prepared when the connection dropped: here it is."
                )
            if feedback is None:
                yield JudgingStarted(self._judging_text(session))
                feedback = await session.evaluate()
            yield FeedbackReady(session.transcript, feedback)
            return
        if welcome_back:
            current = (session.position + 1, len(session.scenarios)) if session.current_scenario else None
            yield WelcomeBack(transcript.id, len(transcript.candidate_turns), current)
        if go_on and session.unanswered_answer() is not None:
            # Its last answer was saved by an instance that stopped before replying: go on from it.
            async for ev in self._then_feedback(session, session.reply_to_saved_answer()):
                yield ev
            return
        pending = session.pending_question()
        if pending is not None:
            yield MessageStarted(pending.kind, pending.scenario_id, None, session.time_guide())
            yield session._done(pending)

    # ----- disagreeing with a verdict -------------------------------------------------------------

    async def flag(self, text: str) -> AsyncIterator[ServiceEvent]:
        """Dispute a verdict of the latest feedback: `text` is "criterion: reason" ("C2: I explained
        why the priority changed"). Kept with the transcript, the judge and the rubric version."""
        session = self.session
        feedback = await self.service.repository.load_feedback(session.transcript.id) if session is not None else None
        if session is None or feedback is None:
            yield Notice("There is no feedback to flag yet: finish an interview first.", warning=True)
            return
        criterion, _, reason = text.partition(":")
        criterion, reason = criterion.strip().upper(), reason.strip()
        verdicts = {c.id: c.met for d in feedback.dimensions.values() for c in d.criteria}
        if criterion not in verdicts:
            known = ", ".join(verdicts)
            yield Notice(
                f"“{md_inline(criterion, 20)}” is not a criterion of this feedback; write one of {known}, a colon, "
                "then your reason (e.g. `C2: I explained why the priority changed`).",
                warning=True,
            )
            return
        if not reason or len(reason) > MAX_FLAG_REASON:
            yield Notice(
                f"Give a reason after the colon, up to {MAX_FLAG_REASON} characters (this one has {len(reason)}).",
                warning=True,
            )
            return
        flag = VerdictFlag(
            criterion=criterion,
            verdict=verdicts[criterion],
            reason=reason,
            judge=feedback.judge,
            rubric_version=feedback.rubric_version,
            analyzer_version=feedback.prompt_versions.get("analyzer"),
        )
        for attempt in range(2):
            # Another tab may have saved meanwhile: read the latest copy once and add the flag to it.
            transcript = await self.service.repository.get(session.transcript.id, owner=self.owner)
            transcript.flags.append(flag)
            try:
                await self.service.repository.save(transcript)
                break
            except ConflictError:
                if attempt:
                    raise
        session.transcript = transcript
        said = "met" if flag.verdict else "not met"
        yield Notice(
            f"Thanks — your flag on **{criterion}** (judged {said}) is saved with this interview and rubric "
            f"{flag.rubric_version}. Flags are reviewed by people before they change any label."
        )

    async def start_own(self, pasted: str) -> AsyncIterator[ServiceEvent]:
        """An interview on a scenario the user pasted (the fields of a scenario file, `title:` and
        `question:` at least); a bad one is named by field and line, and nothing else changes."""
        setting = self.choices.get("setting") if self.choices.get("setting") in ("uk", "us") else None
        try:
            scenario = own_scenario_from_text(pasted, "your scenario", setting)
        except DataError as exc:
            yield Notice(
                f"{md_inline(str(exc), 300)}. A scenario needs `title:` and `question:` lines, and may have "
                "`user_prompt:` and `ai_answer:` (use `|` and indented lines for text over several lines).",
                warning=True,
            )
            return
        async for ev in self.start_with(self.check_choices({}), [scenario]):
            yield ev

    # ----- drills -----------------------------------------------------------------------------------

    async def progress(self) -> ProgressReady:
        """This user's progress across their interviews."""
        return ProgressReady(await self.service.progress(self.owner))

    async def drill(self, base: InterviewConfig | None = None) -> AsyncIterator[ServiceEvent]:
        """An interview on the two criteria this user missed most lately: scenarios written to
        exercise them, and probes that go after them first (`base`: the rest of the configuration,
        by default the kept choices)."""
        focus = await self.service.weakest(self.owner)
        if not focus:
            yield Notice("There is nothing to drill yet: finish an interview and get its feedback first.")
            return
        rubric = self.service.library.rubric
        names = " and ".join(f"**{c}** ({rubric.criterion(c).name})" for c in focus)
        yield Notice(f"This interview drills what you left unsaid most often lately: {names}.")
        config = (base or self.check_choices({})).model_copy(update={"focus": focus})
        async for ev in self.start_with(config):
            yield ev

    # ----- the interview ------------------------------------------------------------------------

    def check_choices(self, choices: dict[str, Any]) -> InterviewConfig:
        """The configuration these choices (over the ones kept) give; SettingsProblem names a bad one."""
        return config_from_choices({**self.choices, **choices}, self.timing)

    async def start(self, choices: dict[str, Any] | None = None) -> AsyncIterator[ServiceEvent]:
        """A new interview from the kept choices with `choices` over them."""
        config = self.check_choices(choices or {})
        async for ev in self.start_with(config):
            yield ev

    async def start_with(
        self, config: InterviewConfig, own: list[Scenario] | None = None
    ) -> AsyncIterator[ServiceEvent]:
        """A new interview with this configuration (on the user's `own` scenarios, if given); one
        under way is kept, ended early."""
        if self.session is not None and not self.session.finished:
            await self.session.abandon()
        self.session = await self.service.new_session(config, self.owner, own)
        transcript = self.session.transcript
        logger.info(
            "interview started",
            extra={
                "interview": transcript.id,
                "scenarios": len(transcript.scenario_ids),
                "mode": transcript.models.get("mode"),
            },
        )
        async for ev in self.session.start():
            yield ev

    async def message(self, text: str, uploads: Sequence[Upload] = ()) -> AsyncIterator[ServiceEvent]:
        """A chat message: transcripts to replay, a start command, or an answer."""
        if uploads:
            async for ev in self.service.replay(uploads, limit=MAX_REPLAY_FILES):
                yield ev
            if not text.strip():
                return
        if not self.active and _PROGRESS.match(text):
            yield await self.progress()
            return
        if not self.active and _DRILL.match(text):
            async for ev in self.drill():
                yield ev
            return
        pasted = _OWN.match(text)
        if pasted:
            async for ev in self.start_own(text[pasted.end() :]):
                yield ev
            return
        if not self.active and _FLAG.match(text):
            async for ev in self.flag(_FLAG.sub("", text, count=1)):
                yield ev
            return
        start = parse_start_command(text)
        if self.voice.draft is not None and start is None and self.active:
            # A spoken answer is waiting: what is typed now is its correction.
            async for ev in self.voice.use_draft(typed=text):
                yield ev
            return
        if start is not None or not self.active:
            if uploads and start is None:
                return  # words sent with files, and no interview to answer: nothing more to do
            # A start command never counts as an answer; the interview it replaces is kept, ended early.
            async for ev in self.start(start or {}):
                yield ev
            return
        async for ev in self.answer(text):
            yield ev

    async def answer(self, text: str, spoken: SpokenAnswer | None = None) -> AsyncIterator[ServiceEvent]:
        """The candidate's answer (`spoken`: what was heard, for an answer given by voice): saved before
        anything else, then what comes next; feedback at the end."""
        session = self.session
        if session is None or session.finished:
            raise ConfigurationError("there is no interview under way to answer")
        before = len(session.transcript.candidate_turns)
        try:
            async for ev in session.respond(text, spoken):
                yield ev
        except ConflictError:
            async for moved in self._moved_on(session):
                yield moved
            return
        except CoachError as exc:
            yield Notice(
                f"{md_inline(str(exc), 300)} Your answer is saved; send it again or end the interview.", warning=True
            )
            return
        if len(session.transcript.candidate_turns) > before:  # its size and how it came, never its words
            saved = {"answers": before + 1, "chars": len(text), "spoken": spoken is not None}
            logger.info("answer saved", extra={"interview": session.transcript.id, **saved})
        if session.finished:
            async for judged in self._feedback(session):
                yield judged

    async def end(self) -> AsyncIterator[ServiceEvent]:
        """Stop the interview now; feedback covers what was answered."""
        session = self.session
        if session is None or session.finished:
            return
        async for ev in self._then_feedback(session, session.end_early()):
            yield ev

    async def _then_feedback(
        self, session: InterviewSession, stream: AsyncIterator[ServiceEvent]
    ) -> AsyncIterator[ServiceEvent]:
        """The session's events; if another tab saved meanwhile, where it stands now; if the
        interview is over, its feedback."""
        try:
            async for ev in stream:
                yield ev
        except ConflictError:
            async for moved in self._moved_on(session):
                yield moved
            return
        if session.finished:
            async for judged in self._feedback(session):
                yield judged

    async def update_settings(self, choices: dict[str, Any]) -> AsyncIterator[ServiceEvent]:
        """New choices: checked before anything changes; they apply to the next interview, or at once
        to an interview that has not been answered yet (which is started again with them)."""
        choices = dict(choices)
        read_aloud = choices.pop("read_aloud", None)
        try:
            self.check_choices(choices)
        except SettingsProblem as exc:
            yield Notice(f"{md_inline(str(exc), 300)} Nothing was changed.", warning=True)
            return
        if read_aloud is not None and bool(read_aloud) != self.voice.reading_aloud:
            # Remembered for this user, and at once: the interview itself does not change.
            self.voice.set_reading_aloud(bool(read_aloud))
            problem = self.service.speaker() is None and bool(read_aloud)
            yield Notice(
                "Questions will be read aloud."
                if not problem
                else "Questions cannot be read aloud here: no voice is installed (espeak-ng) or COACH_TTS is off.",
                warning=problem,
            )
        if all(self.choices.get(k) == v for k, v in choices.items()):
            return  # nothing about the interview changed
        self.choices = {**self.choices, **choices}
        session = self.session
        if session is not None and not session.finished and session.transcript.candidate_turns:
            yield Notice("Settings saved — they apply to your next interview.")
        elif session is not None and not session.finished:
            async for ev in self.start():
                yield ev

    async def _feedback(self, session: InterviewSession) -> AsyncIterator[ServiceEvent]:
        yield JudgingStarted(self._judging_text(session))
        started = time.perf_counter()
        feedback = await session.evaluate()
        logger.info("feedback ready", extra={
            "interview": session.transcript.id, "judge": feedback.judge_kind.value, "band": feedback.band.value,
            "seconds": round(time.perf_counter() - started, 3),
        })  # fmt: skip
        yield FeedbackReady(session.transcript, feedback)
        # Only now, after the candidate's own feedback: what a strong answer to each question says.
        for scenario in session.scenarios:
            view = reference_view(self.service.library, scenario)
            if view is not None:
                yield ReferenceReady(view)

    def _judging_text(self, session: InterviewSession) -> str:
        answers = len(session.transcript.candidate_turns)
        return f"Scoring {answers} answer(s) against {self.service.library.rubric.version}"

    async def _moved_on(self, session: InterviewSession) -> AsyncIterator[ServiceEvent]:
        """The interview was saved from another tab meanwhile: show where it stands now."""
        yield Notice("This interview moved on in another tab or window; here is where it stands now.")
        latest = await self.service.repository.get(session.transcript.id, owner=self.owner)
        # Another tab saved last; if it is still replying to its answer, leave that reply to it.
        async for ev in self._resume(latest, welcome_back=False, go_on=False):
            yield ev
