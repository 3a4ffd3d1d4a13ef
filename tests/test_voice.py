"""Spoken answers through the interview service, with a fake speech engine and synthetic audio
(tone bursts stand in for speech): the recording is kept until its text is saved, practice shows a
draft to use or correct, realistic counts what was heard and ends on a long silence, failures keep
the audio, and the heard text is rewritten ("nine nine nine" → 999) before the judge reads it."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import Role
from agents.interview import events
from agents.interview.service import Conversation, InterviewService
from agents.speech.audio import RATE, find_speech, to_pcm16
from agents.speech.engines import FakeTranscriber
from agents.storage.file_store import TranscriptStore

MIC_RATE = 24_000


def speech_like(pattern: list[tuple[str, float]], rate: int = MIC_RATE) -> bytes:
    """PCM16 of tone bursts ("s", seconds) and silences ("-", seconds)."""
    parts = []
    for kind, seconds in pattern:
        n = int(seconds * rate)
        t = np.arange(n) / rate
        wave = 0.3 * np.sin(2 * np.pi * 220 * t) if kind == "s" else 0.001 * np.random.default_rng(0).standard_normal(n)
        parts.append(wave.astype(np.float32))
    return to_pcm16(np.concatenate(parts))


def chunks(pcm: bytes, seconds: float = 0.1, rate: int = MIC_RATE) -> list[bytes]:
    step = int(seconds * rate) * 2
    return [pcm[i : i + step] for i in range(0, len(pcm), step)]


async def drain(stream: Any) -> list[Any]:
    return [ev async for ev in stream]


async def started(
    library: PromptLibrary, tmp_path: Path, timing: str, **env: Any
) -> tuple[Conversation, FakeTranscriber]:
    settings = load_settings(coach_data_dir=tmp_path / "data", **env)
    service = InterviewService(settings, library, TranscriptStore(settings.coach_data_dir))
    fake = FakeTranscriber()
    service._transcribers = {True: fake, False: fake}
    conv = service.conversation("alice", timing=timing)
    await drain(conv.start({"scenarios": 1, "probes": 0, "setting": "uk"}))
    return conv, fake


async def speak(conv: Conversation, pcm: bytes) -> str | None:
    ending = None
    for i, chunk in enumerate(chunks(pcm)):
        ending = conv.voice.add(chunk, MIC_RATE, start=i == 0)
        if ending:
            break
    return ending


def recordings(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "data" / "recordings").rglob("*.wav"))


async def test_practice_draft_is_kept_with_its_recording_then_used_as_heard(
    library: PromptLibrary, tmp_path: Path
) -> None:
    conv, fake = await started(library, tmp_path, "practice")
    fake.replies.extend(["This is unsafe: um, she should call nine nine nine now, because it could be sepsis."])
    await speak(conv, speech_like([("s", 1.5), ("-", 0.5), ("s", 1.5)]))
    out = await drain(conv.voice.finish())
    heard = [e for e in out if isinstance(e, events.Heard)]
    assert heard and heard[0].draft and "999" in heard[0].text and "nine nine nine" not in heard[0].text
    # Nothing counted yet, but the recording and what was heard of it are on disk, private.
    assert not conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    (wav,) = recordings(tmp_path)
    assert stat.S_IMODE(wav.stat().st_mode) == 0o600
    assert wav.with_suffix(".json").exists()
    # The engine was told the scenario's own terms and the UK's services, and to keep hesitations.
    prompt = fake.requests[-1].prompt()
    assert "999" in prompt and "NHS 111" in prompt and "911" not in prompt and "Um," in prompt

    await drain(conv.voice.use_draft())
    (turn,) = conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    assert "999" in turn.text and turn.spoken is not None and not turn.spoken.corrected
    assert turn.spoken.heard.startswith("This is unsafe: um")
    assert turn.spoken.delivery.fillers == 1 and turn.spoken.delivery.main_point_first
    assert 3.0 <= turn.spoken.delivery.seconds <= 4.0 and turn.spoken.delivery.longest_pause >= 0.4
    assert recordings(tmp_path) == []  # saved: the audio is deleted (COACH_KEEP_RECORDINGS is off)


async def test_a_typed_correction_replaces_the_draft_and_is_marked(library: PromptLibrary, tmp_path: Path) -> None:
    conv, fake = await started(library, tmp_path, "practice", coach_keep_recordings=True)
    fake.replies.append("She should take a pair of cetamol.")
    await speak(conv, speech_like([("s", 2.0)]))
    await drain(conv.voice.finish())
    await drain(conv.message("She should take paracetamol, and call 111 if it gets worse."))
    (turn,) = conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    assert turn.text.startswith("She should take paracetamol") and turn.spoken is not None and turn.spoken.corrected
    assert len(recordings(tmp_path)) == 1 and not recordings(tmp_path)[0].with_suffix(".json").exists()


async def test_realistic_counts_what_was_heard_and_ends_on_a_long_silence(
    library: PromptLibrary, tmp_path: Path
) -> None:
    conv, fake = await started(library, tmp_path, "realistic", coach_silence_seconds=3.0)
    fake.respond = lambda request: "The AI should tell her to call nine nine nine."
    # A 1 s pause mid-answer does not end it; 3 s of silence does.
    ending = await speak(conv, speech_like([("s", 1.0), ("-", 1.0), ("s", 1.0), ("-", 5.0)]))
    assert ending == "silence"
    out = await drain(conv.voice.finish(ending))
    assert any(isinstance(e, events.Notice) and "3-second pause" in e.text for e in out)
    assert any(isinstance(e, events.Heard) and not e.draft for e in out)
    (turn,) = conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    assert turn.text == "The AI should tell her to call 999." and turn.spoken is not None
    # The interviewer moved on (a question or probe followed the answer).
    assert conv.session.transcript.turns[-1].role is Role.INTERVIEWER  # type: ignore[union-attr]
    # The browser's last chunks of the ended recording arrive after it: they start nothing new.
    assert conv.voice.add(speech_like([("s", 0.1)]), MIC_RATE) is None and conv.voice.live is None


async def test_a_failed_transcription_keeps_the_audio_and_can_be_tried_again(
    library: PromptLibrary, tmp_path: Path
) -> None:
    conv, fake = await started(library, tmp_path, "realistic")
    fake.replies.extend(["!error the engine crashed", "Call 999 now."])
    await speak(conv, speech_like([("s", 2.0), ("-", 0.5)]))
    out = await drain(conv.voice.finish())
    assert any(isinstance(e, events.HeardFailed) and e.kept for e in out)
    assert not conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    assert len(recordings(tmp_path)) == 1  # nothing lost
    await drain(conv.voice.retry())
    (turn,) = conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    assert turn.text == "Call 999 now." and recordings(tmp_path) == []


async def test_silence_is_refused_with_a_message_and_saves_nothing(library: PromptLibrary, tmp_path: Path) -> None:
    conv, fake = await started(library, tmp_path, "practice")
    await speak(conv, speech_like([("-", 2.0)]))
    out = await drain(conv.voice.finish())
    assert any(isinstance(e, events.Notice) and e.warning and "heard nothing" in e.text for e in out)
    assert fake.requests == [] and recordings(tmp_path) == []
    assert conv.active and not conv.session.transcript.candidate_turns  # type: ignore[union-attr]


async def test_the_length_limit_stops_the_recording_and_keeps_what_was_said(
    library: PromptLibrary, tmp_path: Path
) -> None:
    conv, _ = await started(library, tmp_path, "realistic", coach_max_recording_seconds=10)
    ending = await speak(conv, speech_like([("s", 4.0), ("-", 0.5), ("s", 8.0)]))
    assert ending == "limit"
    out = await drain(conv.voice.finish(ending))
    assert any(isinstance(e, events.Notice) and "limit" in e.text for e in out)
    (turn,) = conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    assert turn.spoken is not None and turn.spoken.delivery.seconds == pytest.approx(10, abs=0.1)


async def test_the_microphone_waits_for_an_interview_and_for_agreement_to_a_hosted_engine(
    library: PromptLibrary, tmp_path: Path
) -> None:
    settings = load_settings(coach_data_dir=tmp_path / "data", coach_mode="mock", coach_stt="hosted")
    service = InterviewService(settings, library, TranscriptStore(settings.coach_data_dir))
    conv = service.conversation("bob")
    assert conv.voice.problem() is not None  # no interview yet
    assert conv.voice.needs_agreement
    conv.voice.agree(False)
    assert not conv.voice.needs_agreement  # this connection hears locally
    other = service.conversation("bob")
    assert other.voice.needs_agreement  # declining is not remembered as agreeing
    other.voice.agree(True)
    assert not service.conversation("bob").voice.needs_agreement  # agreeing is remembered for the user
    assert service.conversation("carol").voice.needs_agreement


def test_local_only_never_sends_audio_to_a_provider(tmp_path: Path) -> None:
    settings = load_settings(coach_data_dir=tmp_path / "data", coach_local_only=True)
    assert settings.coach_stt == "local"
    with pytest.raises(Exception, match="COACH_LOCAL_ONLY"):
        load_settings(coach_data_dir=tmp_path / "data", coach_local_only=True, coach_stt="hosted")


def test_speech_is_found_between_pauses() -> None:
    pcm = speech_like([("-", 0.5), ("s", 1.0), ("-", 2.6), ("s", 1.0), ("-", 0.2), ("s", 0.5)], rate=RATE)
    speech = find_speech(np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768)
    assert len(speech.spans) == 2  # the 0.2 s gap is inside a stretch of speech, the 2.6 s one is a pause
    assert speech.pauses == [pytest.approx(2.6, abs=0.1)]
    assert speech.speaking_seconds == pytest.approx(2.7, abs=0.15)


async def test_heard_text_is_scrubbed_before_a_model_reads_it(library: PromptLibrary, tmp_path: Path) -> None:
    """A spoken answer reaches the model like a typed one: personal details replaced first."""
    from agents.models.fake import MOCK_SCRIPT

    conv, fake = await started(library, tmp_path, "realistic", coach_mode="mock")
    fake.replies.append("Her NHS number is 943 476 5919 and she should call nine nine nine now.")
    await speak(conv, speech_like([("s", 1.5), ("-", 0.5)]))
    out = await drain(conv.voice.finish())
    assert any(isinstance(e, events.Notice) and "placeholders" in e.text for e in out)
    (turn,) = conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    assert turn.redactions and turn.spoken is not None
    sent = " ".join(str(m.content) for _, messages, _ in MOCK_SCRIPT.calls for m in messages)
    assert MOCK_SCRIPT.calls and "943 476 5919" not in sent


async def test_a_long_answer_is_heard_in_parts_and_no_part_is_prompted_with_another(
    library: PromptLibrary, tmp_path: Path
) -> None:
    """Parts are cut at pauses while the candidate speaks; each is prompted with the glossary only,
    never with what was heard before (Whisper copies its prompt: a route said once must not be
    heard again where it was not said)."""
    conv, fake = await started(library, tmp_path, "realistic")
    fake.replies.extend(["First she should call zebra now.", "Then the rest."])
    pcm = speech_like([("s", 7.0), ("-", 0.8), ("s", 3.0), ("-", 0.5)])
    for i, chunk in enumerate(chunks(pcm)):
        conv.voice.add(chunk, MIC_RATE, start=i == 0)
        await asyncio.sleep(0)  # the loop runs the part under way, as while speaking
    assert len(fake.requests) == 1, "the first part is heard before the answer ends"
    await drain(conv.voice.finish())
    assert len(fake.requests) == 2 and "zebra" not in fake.requests[1].prompt()
    (turn,) = conv.session.transcript.candidate_turns  # type: ignore[union-attr]
    assert turn.text == "First she should call zebra now. Then the rest."
