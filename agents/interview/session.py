"""One interview, start to feedback. The terminal, the browser and the simulations all drive this.

Every candidate message is written to disk before anything else happens, so a model failure or a
crash never loses an answer. The engine's position lives in the transcript, so a session can be
rebuilt from the saved file and carry on.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

from agents.config import Mode, Settings, mode_line
from agents.domain.feedback import Feedback, delivery_rows
from agents.domain.library import PromptLibrary
from agents.domain.scenarios import Scenario, Setting, choose_scenarios
from agents.domain.speech import SpokenAnswer
from agents.domain.transcript import InterviewConfig, InterviewState, Phase, Role, Status, Transcript, Turn, TurnKind
from agents.errors import ConflictError, ModelUnavailableError
from agents.interview.events import Event, MessageDone, MessageStarted, Notice, Token
from agents.interview.interviewer import Interviewer, question_markdown
from agents.judging.factory import Judge, make_judge
from agents.judging.offline import answers_of, get_analyzer
from agents.models.gateway import ModelGateway
from agents.security.markdown import quote_block, without_images
from agents.storage.repository import TranscriptRepository

REALISTIC_TOTAL_SECONDS = 20 * 60
# Interviewer messages that ask something (a time guide applies), and those that wait for an answer.
ASKING_KINDS = frozenset({TurnKind.QUESTION, TurnKind.PROBE, TurnKind.CONSISTENCY})
AWAITING_KINDS = ASKING_KINDS | {TurnKind.REFUSAL}


def make_interviewer_gateway(settings: Settings) -> ModelGateway | None:
    """The interviewer's model, or None in offline mode."""
    if settings.mode is Mode.OFFLINE:
        return None
    return ModelGateway(settings, "interviewer")


class InterviewSession:
    """Drives one interview. Create with `new` or `resume`; feed answers with `respond`."""

    def __init__(
        self,
        transcript: Transcript,
        *,
        settings: Settings,
        library: PromptLibrary,
        store: TranscriptRepository,
        gateway: ModelGateway | None = None,
        judge: Judge | None = None,
    ) -> None:
        self.transcript = transcript
        self.settings = settings
        self.library = library
        self.store = store
        seed = transcript.config.seed
        self.rng = random.Random(seed if seed is not None else transcript.id)
        self.interviewer = Interviewer(library, get_analyzer(library), gateway=gateway, rng=self.rng)
        self.judge = judge or make_judge(settings, library, incremental=True, parts=store)
        self.feedback: Feedback | None = None

    # ----- construction ---------------------------------------------------------------------

    @classmethod
    async def new(
        cls,
        config: InterviewConfig,
        *,
        settings: Settings,
        library: PromptLibrary,
        store: TranscriptRepository,
        owner: str | None = None,
        gateway: ModelGateway | None = None,
        judge: Judge | None = None,
        own: list[Scenario] | None = None,
    ) -> InterviewSession:
        """A fresh interview with scenarios chosen for the profession and setting, or on the
        user's `own` scenarios (kept in the transcript)."""
        transcript = Transcript(config=config, owner=owner)
        rng = random.Random(config.seed if config.seed is not None else transcript.id)
        setting = Setting(config.setting) if config.setting else None
        if own:
            chosen = list(own)
            transcript.own_scenarios = chosen
            transcript.config = config.model_copy(update={"scenario_count": len(chosen)})
        else:
            chosen = choose_scenarios(
                library.scenarios,
                count=config.scenario_count,
                profession=config.profession,
                setting=setting,
                rng=rng,
                focus=config.focus,
            )
        transcript.scenario_ids = [s.id for s in chosen]
        transcript.rubric_version = library.rubric.version
        transcript.prompt_versions = library.versions()
        if gateway is None:
            gateway = make_interviewer_gateway(settings)
        judge = judge or make_judge(settings, library, incremental=True, parts=store)
        transcript.models = {
            "mode": settings.mode.value,
            "interviewer": gateway.model_name if gateway else "offline",
            "judge": judge.name,
        }
        session = cls(transcript, settings=settings, library=library, store=store, gateway=gateway, judge=judge)
        await store.save(transcript)
        return session

    @classmethod
    def resume(
        cls,
        transcript: Transcript,
        *,
        settings: Settings,
        library: PromptLibrary,
        store: TranscriptRepository,
        gateway: ModelGateway | None = None,
        judge: Judge | None = None,
    ) -> InterviewSession:
        """Carry on an interview from its saved transcript."""
        if gateway is None:
            gateway = make_interviewer_gateway(settings)
        return cls(transcript, settings=settings, library=library, store=store, gateway=gateway, judge=judge)

    # ----- state helpers --------------------------------------------------------------------

    @property
    def state(self) -> InterviewState:
        """Engine position, persisted inside the transcript."""
        return self.transcript.state

    @property
    def phase(self) -> Phase:
        """Current phase."""
        return self.state.phase

    @property
    def finished(self) -> bool:
        """True once the interview has ended (completed or ended early)."""
        return self.phase == Phase.FINISHED

    @property
    def position(self) -> int:
        """Index of the current scenario."""
        return self.state.position

    @property
    def scenarios(self) -> list[Scenario]:
        """The interview's scenarios, in order."""
        return [self.transcript.scenario(sid, self.library.scenario) for sid in self.transcript.scenario_ids]

    @property
    def current_scenario(self) -> Scenario | None:
        """The scenario being discussed, if any."""
        if self.phase in (Phase.AWAITING_ANSWER, Phase.AWAITING_PROBE_ANSWER) and self.position < len(self.scenarios):
            return self.scenarios[self.position]
        return None

    def time_guide(self) -> int | None:
        """Suggested seconds per answer in realistic mode."""
        if self.transcript.config.timing != "realistic":
            return None
        per = self.transcript.config.scenario_count * (1 + self.transcript.config.max_probes) + 1
        return max(60, REALISTIC_TOTAL_SECONDS // per)

    def _move(
        self,
        phase: Phase,
        *,
        position: int,
        probes_used: int = 0,
        probed: list[str] | None = None,
        consistency_done: bool | None = None,
    ) -> None:
        """Set the engine's position in one step (validated: a bad position is refused, not saved)."""
        self.transcript.state = InterviewState(
            phase=phase,
            position=position,
            probes_used=probes_used,
            probed=probed or [],
            consistency_done=self.state.consistency_done if consistency_done is None else consistency_done,
        )

    async def _save(self) -> None:
        await self.store.save(self.transcript)

    async def _say(
        self,
        text: str | AsyncIterator[str],
        kind: TurnKind,
        *,
        scenario_id: str | None = None,
        probe_target: str | None = None,
        fallback: str | None = None,
        progress: tuple[int, int] | None = None,
    ) -> AsyncIterator[Event]:
        yield MessageStarted(kind, scenario_id, progress, self.time_guide())
        if isinstance(text, str):
            final = text
            for piece in _chunks(text):
                yield Token(piece)
        else:
            pieces: list[str] = []
            try:
                async for piece in text:
                    pieces.append(piece)
                    yield Token(piece)
                final = without_images("".join(pieces)).strip()
            except ModelUnavailableError:
                final = fallback or ""
            if not final:
                final = fallback or ""
        turn = self.transcript.add_turn(
            Role.INTERVIEWER, final, kind, scenario_id=scenario_id, probe_target=probe_target
        )
        await self._save()
        yield self._done(turn)

    # ----- the interview --------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Event]:
        """Introduce the interview and ask the first question. On a resumed interview it says
        nothing: the last interviewer turn stands (see `pending_question`)."""
        if self.phase != Phase.NOT_STARTED:
            return
        count = len(self.transcript.scenario_ids)
        script = self.library.interviewer
        intro = "\n\n".join(
            [
                script.intro.replace("$count", str(count)).strip(),
                mode_line(self.settings),
                "_" + script.disclaimer.strip() + "_",
            ]
        )
        async for ev in self._say(intro, TurnKind.INTRO):
            yield ev
        self._move(Phase.AWAITING_ANSWER, position=0)
        async for ev in self._ask_current():
            yield ev

    def _done(self, turn: Turn) -> MessageDone:
        awaiting = turn.kind in AWAITING_KINDS and not self.finished
        return MessageDone(turn, awaiting, self.time_guide() if turn.kind in ASKING_KINDS else None)

    def pending_question(self) -> Turn | None:
        """The interviewer's last message, which the candidate has not answered yet (if any)."""
        for turn in reversed(self.transcript.turns):
            if turn.role is Role.CANDIDATE:
                return None
            if turn.kind in AWAITING_KINDS:
                return turn
        return None

    async def _ask_current(self) -> AsyncIterator[Event]:
        scenario = self.scenarios[self.position]
        total = len(self.scenarios)
        text = question_markdown(scenario, self.position + 1, total, self.library)
        async for ev in self._say(
            text, TurnKind.QUESTION, scenario_id=scenario.id, progress=(self.position + 1, total)
        ):
            yield ev

    def _scenario_answers(self, scenario_id: str) -> list[tuple[int, str, str, str]]:
        keep = {t.index for t in self.transcript.turns if t.scenario_id == scenario_id and t.role is Role.CANDIDATE}
        return [a for a in answers_of(self.transcript) if a[0] in keep]

    async def respond(self, text: str, spoken: SpokenAnswer | None = None) -> AsyncIterator[Event]:
        """Record the candidate's message (saved at once, with what was heard if it was spoken), then
        say what comes next."""
        text = text or ""
        limit = self.settings.coach_max_answer_chars
        scenario = self.current_scenario
        turn = self.transcript.add_turn(
            Role.CANDIDATE,
            text,
            TurnKind.ANSWER,
            scenario_id=scenario.id if scenario else None,
            truncated=len(text) > limit,
        )
        turn.spoken = spoken
        try:
            await self._save()
        except ConflictError:
            # Another tab or window answered first. Nothing of theirs is overwritten; this answer is
            # shown back in full so it can be sent again, and the interview carries on from the latest.
            self.transcript.turns.pop()
            async for ev in self._moved_on(text):
                yield ev
            return
        if turn.truncated:
            yield Notice(
                f"Your answer is {len(text):,} characters; it is saved in full, but the judge reads the first "
                f"{limit:,}. Real screens reward concise, structured answers."
            )
        if self.settings.mode is not Mode.OFFLINE:
            removed = self.interviewer.redactor.scrub(text).kinds
            if removed:
                turn.redactions = removed
                await self._save()
                yield Notice(
                    "Before your answer goes to the model provider, these were replaced with placeholders: "
                    f"{', '.join(removed)}. Your saved transcript keeps what you typed; please use fictional details."
                )
        async for ev in self._next_after(text, scenario):
            yield ev

    def unanswered_answer(self) -> Turn | None:
        """The candidate's last answer when it was saved but nothing came after it (the instance
        that saved it stopped before replying): the interview must go on from it."""
        last = self.transcript.turns[-1] if self.transcript.turns else None
        if last is None or last.role is not Role.CANDIDATE or self.finished:
            return None
        return last

    async def reply_to_saved_answer(self) -> AsyncIterator[Event]:
        """Say what comes after an answer that was saved and never replied to (see
        `unanswered_answer`): the same as if it had just been sent, without saving it again."""
        last = self.unanswered_answer()
        if last is None:
            return
        async for ev in self._next_after(last.text, self.current_scenario):
            yield ev

    async def _next_after(self, text: str, scenario: Scenario | None) -> AsyncIterator[Event]:
        """What comes after the candidate's (saved) answer `text` to the current question."""
        if self.finished:
            return
        if not text.strip():
            async for ev in self._say(self.library.interviewer.empty_answer, TurnKind.REFUSAL):
                yield ev
            return
        if self.interviewer.is_meta_request(text):
            line = self.rng.choice(self.library.interviewer.stay_in_role)
            async for ev in self._say(line, TurnKind.REFUSAL, scenario_id=scenario.id if scenario else None):
                yield ev
            return

        if self.phase == Phase.AWAITING_CONSISTENCY:
            async for ev in self._finish(Status.COMPLETED):
                yield ev
            return

        assert scenario is not None
        skip = self.interviewer.is_skip(text)
        probes_used = self.state.probes_used
        probed = list(self.state.probed)
        target = None
        if not skip and probes_used < self.transcript.config.max_probes:
            target = self.interviewer.policy.choose(
                self._scenario_answers(scenario.id), probed, scenario, self.transcript.config.focus
            )
        if target is not None:
            self._move(
                Phase.AWAITING_PROBE_ANSWER,
                position=self.position,
                probes_used=probes_used + 1,
                probed=[*probed, target],
            )
            config = self.transcript.config
            stream = self.interviewer.phrase_probe(
                scenario, target, text, config.profession or "doctor", config.setting or scenario.setting.value
            )
            async for ev in self._say(
                stream,
                TurnKind.PROBE,
                scenario_id=scenario.id,
                probe_target=target,
                fallback=self.interviewer.probe_text(scenario, target),
            ):
                yield ev
            return

        async for ev in self._advance():
            yield ev

    async def _moved_on(self, unsent: str) -> AsyncIterator[Event]:
        latest = await self.store.get(self.transcript.id)
        self.transcript = latest
        yield Notice(
            "This interview moved on in another tab or window, so the answer you just sent was **not** "
            "recorded (nothing was overwritten). Here it is, to send again if you still want it:\n\n"
            + quote_block(unsent)
        )
        if self.finished:
            yield Notice("The interview has already ended there; your feedback is in that tab.")
            return
        pending = self.pending_question()
        if pending is not None:
            yield MessageStarted(pending.kind, pending.scenario_id, None, self.time_guide())
            yield self._done(pending)

    async def _advance(self) -> AsyncIterator[Event]:
        done = self.scenarios[self.position].id if self.position < len(self.scenarios) else None
        if done is not None and hasattr(self.judge, "scenario_done"):
            self.judge.scenario_done(self.transcript, done)  # judged in the background meanwhile
        nxt = self.position + 1
        if nxt < len(self.scenarios):
            self._move(Phase.AWAITING_ANSWER, position=nxt)
            async for ev in self._ask_current():
                yield ev
            return
        if len(self.scenarios) >= 2 and not self.state.consistency_done:
            earlier, later = self.scenarios[0], self.scenarios[-1]
            template = self.rng.choice(self.library.interviewer.consistency_questions)
            text = template.replace("$earlier_title", earlier.title).replace("$later_title", later.title)
            self._move(Phase.AWAITING_CONSISTENCY, position=nxt, consistency_done=True)
            async for ev in self._say(text, TurnKind.CONSISTENCY):
                yield ev
            return
        async for ev in self._finish(Status.COMPLETED):
            yield ev

    async def _finish(self, status: Status) -> AsyncIterator[Event]:
        self.state.phase = Phase.FINISHED
        self.transcript.status = status
        async for ev in self._say(self.library.interviewer.closing, TurnKind.CLOSING):
            yield ev

    async def end_early(self) -> AsyncIterator[Event]:
        """Stop now; feedback will cover what was answered."""
        if self.finished:
            return
        async for ev in self._finish(Status.ENDED_EARLY):
            yield ev

    async def abandon(self) -> None:
        """Leave the interview without feedback (the user started another); it stays on disk, ended early."""
        if self.finished:
            return
        self.state.phase = Phase.FINISHED
        self.transcript.status = Status.ENDED_EARLY
        try:
            await self._save()
        except ConflictError:
            # Saved elsewhere meanwhile: leave the latest copy, ended early unless it already finished.
            self.transcript = await self.store.get(self.transcript.id)
            if not self.finished:
                self.state.phase = Phase.FINISHED
                self.transcript.status = Status.ENDED_EARLY
                await self._save()

    async def evaluate(self) -> Feedback:
        """Judge the transcript (model judge with labelled fallback, or offline) and save the feedback."""
        feedback = await self.judge.evaluate(self.transcript)
        feedback.source = feedback.source or f"interview {self.transcript.id}"
        feedback.delivery = delivery_rows(self.transcript)  # beside the scores, never in them
        self.feedback = feedback
        await self.store.save_feedback(self.transcript.id, feedback)
        return feedback


def _chunks(text: str, size: int = 24) -> list[str]:
    # Scripted text is streamed in small pieces so every mode looks and behaves the same.
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]
