"""Speaking in an interview: answers from the microphone, and the interviewer's questions read aloud.

A `VoiceChannel` belongs to one conversation. Its order of work keeps what was said safe:
the recording is saved (0600) the moment the microphone stops; then it is transcribed (mostly done
already, while the candidate spoke); the heard text is noted beside the recording; the answer is
saved through the conversation like a typed one; only then is the recording deleted (unless the
user keeps recordings). A failure at any step leaves the recording and offers to try again.

Practice: the heard text is a draft to use as heard or correct by typing. Realistic: it counts as
heard, and a silence of COACH_SILENCE_SECONDS ends the answer, as on the day.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agents.domain.scenarios import Scenario
from agents.domain.speech import SpokenAnswer
from agents.errors import CoachError, SpeechError
from agents.interview.events import Heard, HeardFailed, MessageDone, Notice, ServiceEvent, Voiced
from agents.security.markdown import md_inline
from agents.speech.audio import FILE_BYTES_PER_SECOND, AudioError, Samples, Speech, find_speech, read_audio, wav_bytes
from agents.speech.engines import Request, Transcriber
from agents.speech.live import LiveAnswer
from agents.storage.recordings import Recording

if TYPE_CHECKING:
    from agents.interview.service import Conversation

Ending = Literal["stopped", "silence", "limit"]


class VoiceChannel:
    """Speech for one conversation."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.service = conversation.service
        self.settings = conversation.service.settings
        self.live: LiveAnswer | None = None
        self.draft: tuple[Recording, str, SpokenAnswer] | None = None  # practice: heard, not yet used
        self.failed: Recording | None = None
        self.local_only = False  # the user declined to send audio to the provider (this connection)

    # ----- choices --------------------------------------------------------------------------------

    @property
    def needs_agreement(self) -> bool:
        """Whether the user must agree before audio can go to the speech-to-text provider."""
        if self.settings.coach_stt != "hosted" or self.settings.coach_local_only or self.local_only:
            return False
        return not self.service.preferences.get(self.conversation.owner).hosted_speech_agreed

    def agree(self, yes: bool) -> Notice:
        """The user's answer to sending recordings to the provider (remembered when yes)."""
        if yes:
            owner = self.conversation.owner
            prefs = self.service.preferences.get(owner)
            self.service.preferences.set(owner, prefs.model_copy(update={"hosted_speech_agreed": True}))
            return Notice("Thanks — your recordings will be transcribed by the provider. Press the microphone again.")
        self.local_only = True
        return Notice("Your recordings stay on this machine: the local speech model transcribes them.")

    @property
    def reading_aloud(self) -> bool:
        """Whether this user has questions read aloud."""
        return self.service.preferences.get(self.conversation.owner).read_aloud

    def set_reading_aloud(self, on: bool) -> None:
        """Remember, for this user, whether questions are read aloud."""
        prefs = self.service.preferences.get(self.conversation.owner)
        self.service.preferences.set(self.conversation.owner, prefs.model_copy(update={"read_aloud": on}))

    def _keep(self) -> bool:
        kept = self.service.preferences.get(self.conversation.owner).keep_recordings
        return self.settings.coach_keep_recordings if kept is None else kept

    # ----- the microphone -------------------------------------------------------------------------

    def problem(self) -> str | None:
        """Why the microphone cannot start now, or None."""
        if not self.conversation.active:
            return "Start an interview first (type `start`, or pick a quick start); then answer by voice."
        if self.draft is not None:
            return "Your last spoken answer is waiting: use it as heard, or type a corrected version, first."
        return None

    def _transcriber(self) -> Transcriber:
        # The provider hears audio only once the user agreed (and not after they declined here).
        return self.service.transcriber(hosted_allowed=not self.local_only and not self.needs_agreement)

    def _scenario(self) -> tuple[Scenario | None, str | None]:
        session = self.conversation.session
        if session is None:
            return None, None
        return session.current_scenario, session.transcript.config.setting

    def _hints(self) -> list[str]:
        return self.service.library.speech.hints(*self._scenario())

    def prepare(self) -> None:
        """Build the speech engine and load its model (a second or two the first time in a process;
        blocking: run it off the event loop before `begin`)."""
        load = getattr(self._transcriber(), "load", None)
        if callable(load):
            load()

    def begin(self) -> None:
        """The microphone is on: a new answer, heard in parts as it is spoken."""
        self.live = LiveAnswer(
            self._transcriber(),
            hints=self._hints(),
            fillers=self.service.library.speech.fillers,
            max_seconds=self.settings.coach_max_recording_seconds,
        )

    def add(self, pcm16: bytes, rate: int, *, start: bool = False) -> Ending | None:
        """A chunk from the microphone (`start`: the first of a recording). Says when the answer has
        ended on its own: a long silence (realistic profile) or the length limit."""
        live = self.live
        if live is None:
            if not start or self.problem() is not None:
                return None  # the tail of a recording that has ended already
            self.begin()
            live = self.live
            assert live is not None
        live.add(pcm16, rate)
        if live.over_limit:
            return "limit"
        if self.conversation.timing == "realistic" and live.ended_by_silence(self.settings.coach_silence_seconds):
            return "silence"
        return None

    async def finish(self, ending: Ending = "stopped") -> AsyncIterator[ServiceEvent]:
        """The microphone stopped: keep the recording, then hear it and (realistic) count it."""
        live, self.live = self.live, None
        if live is None:
            return  # ended already (a silence, then the browser's own stop)
        if ending == "silence":
            yield Notice(
                f"I took your {self.settings.coach_silence_seconds:g}-second pause as the end of your answer, "
                "as the real screens do."
            )
        elif ending == "limit":
            yield Notice(
                f"Recording stopped at {self.settings.coach_max_recording_seconds:g} seconds, the limit for one "
                "answer; what you said up to then is kept.",
                warning=True,
            )
        samples = live.samples()
        speech = find_speech(samples)
        if speech.silent:
            yield Notice(
                "I heard nothing in that recording. Check that the microphone is on and allowed for this site, "
                "or type your answer; nothing earlier is lost.",
                warning=True,
            )
            return
        transcript_id = self.conversation.transcript_id
        assert transcript_id is not None
        recording = self.service.recordings.save(transcript_id, wav_bytes(samples))
        try:
            heard = await live.finish()
        except (SpeechError, CoachError) as exc:
            self.failed = recording
            yield HeardFailed(str(exc), kept=True)
            return
        async for ev in self._heard(recording, heard.text, heard.engine, speech):
            yield ev

    async def retry(self) -> AsyncIterator[ServiceEvent]:
        """Transcribe the kept recording of a failed answer again, whole."""
        recording, self.failed = self.failed, None
        if recording is None:
            yield Notice("There is no recording waiting to be transcribed.")
            return
        try:
            limit = self.settings.coach_max_recording_seconds + 5
            samples = read_audio(recording.path, max_bytes=1 << 30, max_seconds=limit)
        except AudioError as exc:
            self.failed = recording
            yield HeardFailed(str(exc), kept=True)
            return
        async for ev in self._hear_whole(recording, samples, find_speech(samples)):
            yield ev

    async def answer_file(self, path: Path) -> AsyncIterator[ServiceEvent]:
        """A recorded answer from a file (WAV, MP3, WebM…): heard whole, and counted as heard."""
        if not self.conversation.active:
            yield Notice("There is no interview under way to answer.", warning=True)
            return
        try:
            samples = read_audio(
                path,
                max_bytes=int(self.settings.coach_max_recording_seconds * FILE_BYTES_PER_SECOND),
                max_seconds=self.settings.coach_max_recording_seconds,
            )
        except AudioError as exc:
            yield HeardFailed(str(exc), kept=False)
            return
        speech = find_speech(samples)
        if speech.silent:
            yield HeardFailed(f"{path}: no speech in the recording", kept=False)
            return
        transcript_id = self.conversation.transcript_id
        assert transcript_id is not None
        recording = self.service.recordings.save(transcript_id, wav_bytes(samples))
        async for ev in self._hear_whole(recording, samples, speech, draft=False):
            yield ev

    async def _hear_whole(
        self, recording: Recording, samples: Samples, speech: Speech, *, draft: bool | None = None
    ) -> AsyncIterator[ServiceEvent]:
        """Transcribe a kept recording in one go (a file, or a retry); a failure keeps it."""
        transcriber = self._transcriber()
        request = Request(samples, self._hints(), self.service.library.speech.fillers)
        try:
            text = await asyncio.to_thread(transcriber.transcribe, request)
        except SpeechError as exc:
            self.failed = recording
            yield HeardFailed(str(exc), kept=True)
            return
        async for ev in self._heard(recording, text, transcriber.name, speech, draft=draft):
            yield ev

    async def _heard(
        self, recording: Recording, text: str, engine: str, speech: Speech, *, draft: bool | None = None
    ) -> AsyncIterator[ServiceEvent]:
        if not text.strip():
            self.failed = recording
            yield HeardFailed("the speech model heard no words in it", kept=True)
            return
        self.service.recordings.note_heard(recording, text)
        lexicon = self.service.library.speech
        scenario, _ = self._scenario()
        spoken = SpokenAnswer(
            heard=text,
            engine=engine,
            speech_version=lexicon.version,
            delivery=speech.delivery(lexicon, text, scenario),
        )
        written = lexicon.written(text)
        if draft is None:
            draft = self.conversation.timing == "practice"
        if draft:
            self.draft = (recording, written, spoken)
            yield Heard(written, speech.seconds, draft=True)
            return
        yield Heard(written, speech.seconds, draft=False)
        async for ev in self._count(recording, written, spoken):
            yield ev

    async def use_draft(self, typed: str | None = None) -> AsyncIterator[ServiceEvent]:
        """Practice: the heard answer counts (as heard, or as the candidate `typed` it instead)."""
        if self.draft is None:
            yield Notice("There is no spoken answer waiting.")
            return
        recording, written, spoken = self.draft
        self.draft = None
        if typed is not None and typed.strip() != written.strip():
            spoken = spoken.model_copy(update={"corrected": True})
            written = typed
        async for ev in self._count(recording, written, spoken):
            yield ev

    def discard_draft(self) -> Notice:
        """Practice: drop the heard answer (to say it again)."""
        if self.draft is not None:
            self.service.recordings.done(self.draft[0], keep=False)
            self.draft = None
        return Notice("Dropped. Press the microphone to answer again, or type your answer.")

    async def _count(self, recording: Recording, text: str, spoken: SpokenAnswer) -> AsyncIterator[ServiceEvent]:
        async for ev in self.conversation.answer(text, spoken=spoken):
            yield ev
        session = self.conversation.session
        if session is not None and any(t.spoken == spoken for t in session.transcript.candidate_turns):
            # The answer is saved with what was heard: the audio has done its work.
            self.service.recordings.done(recording, keep=self._keep())
        else:
            # Not saved (another tab moved the interview on): the text was shown back; the audio stays.
            yield Notice("Your recording is kept until the answer is saved; send it again to count it.", warning=True)

    # ----- the interviewer's voice ----------------------------------------------------------------

    async def voiced(self, stream: AsyncIterator[ServiceEvent]) -> AsyncIterator[ServiceEvent]:
        """`stream`, with each interviewer message read aloud after it (when this user chose that)."""
        speaker = self.service.speaker() if self.reading_aloud else None
        async for ev in stream:
            yield ev
            if speaker is not None and isinstance(ev, MessageDone):
                try:
                    wav = await asyncio.to_thread(speaker.speak, ev.turn.text)
                except SpeechError as exc:
                    yield Notice(f"The question could not be read aloud: {md_inline(str(exc), 200)}", warning=True)
                    speaker = None
                    continue
                yield Voiced(wav, ev.turn.index)
