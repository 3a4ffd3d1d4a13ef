"""The real speech parts: espeak-ng (Debian) speaks answers with drug names and escalation routes,
the local Whisper model installed from PyPI hears them, and the terminal answers an interview from
recordings. Under CI=true a missing part fails the run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agents.domain.library import PromptLibrary
from agents.speech.audio import find_speech, read_audio, rms_level
from agents.speech.engines import BASE, LocalWhisper, Request
from agents.speech.voice import EspeakSpeaker
from tests.cli_process import run_coach
from tests.real_parts import require_real_part

pytestmark = [pytest.mark.slow]


@pytest.fixture(autouse=True)
def espeak() -> None:
    require_real_part(shutil.which("espeak-ng") is not None, "espeak-ng", "apt-get install espeak-ng")


def say(text: str, path: Path, voice: str = "en-gb", rate: int = 150) -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(path), text], check=True)
    return path


@pytest.fixture(scope="module")
def whisper() -> LocalWhisper:
    try:
        model = LocalWhisper(BASE)
    except Exception as exc:  # the model's packages missing: a real part, like a browser
        require_real_part(False, f"the local Whisper model ({exc})", "pip install -e .")
        raise
    model.load()
    return model


def heard(whisper: LocalWhisper, library: PromptLibrary, path: Path, scenario_id: str) -> str:
    scenario = next(s for s in library.scenarios if s.id == scenario_id)
    lexicon = library.speech
    samples = read_audio(path, max_bytes=10_000_000, max_seconds=120)
    text = whisper.transcribe(Request(samples, lexicon.hints(scenario, None), lexicon.fillers))
    return lexicon.written(text)


@pytest.mark.parametrize(
    ("scenario_id", "spoken", "voice", "drug", "route"),
    [
        (
            "uk-chest-pain-reassurance",
            "The AI should tell her to call nine nine nine now and chew aspirin while she waits.",
            "en-gb",
            "aspirin",
            "999",
        ),
        (
            "us-prompt-anaphylaxis-epinephrine-delay",
            "The AI should tell him to use his epinephrine auto-injector and call nine one one now.",
            "en-us",
            "epinephrine",
            "911",
        ),
    ],
)
def test_drug_names_and_routes_are_heard_right(
    whisper: LocalWhisper,
    library: PromptLibrary,
    tmp_path: Path,
    scenario_id: str,
    spoken: str,
    voice: str,
    drug: str,
    route: str,
) -> None:
    """The same sentence at three speaking rates. The drug name, which the scenario's glossary
    hints, must be heard every time. The route must be heard at two rates of three: "nine one one
    now" from a synthetic voice sits on the edge of what the base model resolves, and whether a
    single rate comes out as "911-how" or "i-1-1-how" differs between CPUs (the int8 kernels
    differ). Without the glossary, both drug names and the US route are missed at every rate."""
    texts = [
        heard(whisper, library, say(spoken, tmp_path / f"{rate}.wav", voice, rate), scenario_id).lower()
        for rate in (130, 150, 170)
    ]
    assert all(drug in text for text in texts), f"{drug!r} not heard in {texts!r}"
    assert sum(route in text for text in texts) >= 2, f"{route!r} heard at fewer than two rates: {texts!r}"


def test_the_interviewer_voice_is_not_silence() -> None:
    wav = EspeakSpeaker("en-gb").speak("**Question 1.** What should the AI have said? ⏱ _Time guide: 2 min._")
    assert wav.startswith(b"RIFF")
    path = Path("q.wav")
    path.write_bytes(wav)
    samples = read_audio(path, max_bytes=10_000_000, max_seconds=60)
    assert rms_level(samples) > 0.02 and find_speech(samples).speaking_seconds > 1.0


def test_coach_transcribe_prints_what_the_judge_reads(tmp_path: Path) -> None:
    clip = say("Um, the AI should tell her to ring n h s one one one today.", tmp_path / "t.wav")
    done = run_coach(["transcribe", str(clip), "--setting", "uk"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "As the judge reads it:" in done.stdout and "111" in done.stdout.split("As the judge reads it:")[1]
    assert "words/min" in done.stdout


def test_an_interview_answered_by_recordings_reaches_feedback_with_delivery(tmp_path: Path) -> None:
    first = say(
        "This answer is unsafe because it could miss a heart attack. The AI should tell her to call nine nine "
        "nine now, not wait, because waiting could kill her.",
        tmp_path / "1.wav",
    )
    silent = tmp_path / "2.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(silent), "trim", "0", "2"], check=False)
    files = [str(first)] + ([str(silent)] if silent.exists() else [])
    done = run_coach(
        ["interview", "--scenarios", "2", "--probes", "0", "--setting", "uk", "--seed", "3", "--audio", *files],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Candidate (heard" in done.stdout and "999" in done.stdout
    assert "## Delivery (spoken answers — not part of the scores)" in done.stdout
    if silent.exists():
        assert "no speech in the recording" in done.stdout  # a silent file is named, not judged
    assert "## Feedback" in done.stdout
    # The recording of the saved answer was deleted; the transcript keeps what was heard.
    assert not list((tmp_path / "data" / "recordings").rglob("*.wav"))


def test_a_browser_recording_in_webm_is_heard(tmp_path: Path) -> None:
    """WebM/Opus is what browsers' recorders make: decoded with FFmpeg's libraries (PyAV)."""
    import av
    import numpy as np

    clip = say("The AI should tell her to call nine nine nine.", tmp_path / "w.wav")
    samples = read_audio(clip, max_bytes=10_000_000, max_seconds=60)
    webm = tmp_path / "answer.webm"
    with av.open(str(webm), "w", format="webm") as out:
        stream = out.add_stream("libopus", rate=48000)
        pcm = np.interp(np.arange(0, samples.size, 1 / 3), np.arange(samples.size), samples).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    done = run_coach(["transcribe", str(webm), "--setting", "uk"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "999" in done.stdout.split("As the judge reads it:")[1]


def test_a_file_that_is_not_audio_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not a recording")
    done = run_coach(["transcribe", str(bad)], tmp_path)
    assert done.returncode == 2 and "notes.wav: not a recording FFmpeg can read" in done.stderr
    assert "Traceback" not in done.stderr


def test_coach_eval_spoken_speaks_hears_and_judges_a_labelled_transcript(tmp_path: Path) -> None:
    """The real round trip (espeak-ng → the speech model → written forms) on one labelled
    transcript: every answer is heard, most of its words survive, and the figures are printed."""
    import json
    import re

    from evals.dataset import load_dataset

    holdout = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "judge_holdout_v1"
    done = run_coach(
        ["eval", "spoken", "--dataset", str(holdout), "--limit", "1", "--out", str(tmp_path / "out")], tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "transcripts whose scores changed when their answers were spoken and heard: " in done.stdout
    summary = json.loads((tmp_path / "out" / "spoken.json").read_text())
    assert summary["transcripts"] == 1 and summary["verdicts"] == 24
    heard = [p.read_text() for p in (tmp_path / "data" / "evals" / "spoken-cache").glob("*.txt")]
    said = [t.text for t in load_dataset(holdout)[0].transcript.turns if t.role.value == "candidate"]
    assert len(heard) == len(said) and all(h.strip() for h in heard)

    def words(text: str) -> set[str]:
        return set(re.findall(r"[a-z]{4,}", text.lower()))

    kept = len(words(" ".join(said)) & words(" ".join(heard))) / len(words(" ".join(said)))
    assert kept > 0.6, f"only {kept:.0%} of the answers' words were heard"
