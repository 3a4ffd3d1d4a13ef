"""`coach eval spoken` counts what a speech round trip changes: a fake ear (a function that sees
what was said) stands in for espeak-ng and the speech model here; the real ones run in
test_speech_real.py."""

from __future__ import annotations

import argparse
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from agents.domain.library import PromptLibrary
from agents.domain.transcript import Role
from agents.judging.offline import OfflineJudge
from agents.speech.audio import Samples
from agents.speech.engines import Request
from evals.dataset import load_dataset
from evals.spoken_suite import RoundTrip, measure, run_spoken_suite

HOLDOUT = Path(__file__).resolve().parents[1] / "evals" / "datasets" / "judge_holdout_v1"


class Ear:
    """Speaker and transcriber in one: what is 'heard' is `hear` applied to what was said."""

    name = "fake-ear"
    local = True

    def __init__(self, hear: Callable[[str], str]) -> None:
        self.hear = hear
        self.said: list[tuple[str, str]] = []
        self.hints: list[list[str]] = []

    def speak(self, text: str, voice: str) -> Samples:
        self.said.append((text, voice))
        return np.zeros(16, dtype=np.float32)

    def transcribe(self, request: Request) -> str:
        self.hints.append(request.hints)
        return self.hear(self.said[-1][0])


def _args(tmp_path: Path, **over: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "dataset": HOLDOUT,
        "limit": 4,
        "model": "base",
        "cache": tmp_path / "cache",
        "no_cache": False,
        "out": tmp_path / "out",
        "max_changed": None,
    }
    base.update(over)
    return argparse.Namespace(**base)


def test_heard_exactly_as_said_changes_nothing(library: PromptLibrary) -> None:
    ear = Ear(lambda text: text)
    samples = load_dataset(HOLDOUT)[:4]
    result = measure(samples, OfflineJudge(library), RoundTrip(ear, library.speech, speaker=ear.speak))
    assert result.score_changed == [] and not result.lost and not result.gained
    answers = sum(1 for s in samples for t in s.transcript.turns if t.role is Role.CANDIDATE and t.text.strip())
    assert len(ear.said) == answers
    # A UK transcript is read in UK voices and hinted UK services.
    assert all(voice.startswith("en-gb") for _, voice in ear.said[:2]) and "NHS 111" in ear.hints[0]


def test_routes_heard_as_words_are_written_back_before_judging(library: PromptLibrary) -> None:
    def spoken(text: str) -> str:
        return text.replace("999", "nine nine nine").replace("111", "one one one").replace("A&E", "a and e")

    ear = Ear(spoken)
    trip = RoundTrip(ear, library.speech, speaker=ear.speak)
    sample = next(s for s in load_dataset(HOLDOUT) if any("999" in t.text for t in s.transcript.turns))
    heard = " ".join(t.text for t in trip.transcript(sample.transcript, "uk").turns if t.role is Role.CANDIDATE)
    assert "999" in heard and "nine nine nine" not in heard
    result = measure(load_dataset(HOLDOUT)[:4], OfflineJudge(library), trip)
    assert result.score_changed == [] and not result.lost


def test_what_is_lost_in_hearing_is_counted_by_criterion(library: PromptLibrary) -> None:
    # An ear that never hears a reason given ("because …", "so that …") loses rationale (F3).
    ear = Ear(lambda text: re.sub(r"\b(because|since|so that|as)\b[^.]*", "", text, flags=re.I))
    samples = load_dataset(HOLDOUT)[:4]
    judge = OfflineJudge(library)
    result = measure(samples, judge, RoundTrip(ear, library.speech, speaker=ear.speak))
    assert result.lost["F3"] >= 1 and result.score_changed
    written_f3 = sum(v["F3"] for v in result.written)
    heard_f3 = sum(v["F3"] for v in result.heard)
    assert written_f3 - heard_f3 == result.lost["F3"] - result.gained["F3"]


def test_a_second_run_hears_from_the_cache_and_a_floor_fails_the_run(library: PromptLibrary, tmp_path: Path) -> None:
    ear = Ear(lambda text: text.split(".")[0] + ".")  # only the first sentence of each answer is heard
    out = io.StringIO()
    assert run_spoken_suite(_args(tmp_path), library, out, transcriber=ear, speaker=ear.speak) == 0
    first = len(ear.said)
    assert first > 0 and len(list((tmp_path / "cache").glob("*.txt"))) == first
    assert "transcripts whose scores changed when their answers were spoken and heard: " in out.getvalue()
    assert (tmp_path / "out" / "spoken.json").exists()

    out = io.StringIO()
    code = run_spoken_suite(_args(tmp_path, max_changed=0.0), library, out, transcriber=ear, speaker=ear.speak)
    assert len(ear.said) == first  # nothing spoken again: every answer came from the cache
    assert "0 answer(s) spoken and heard" in out.getvalue()
    assert code == 1 and "FAIL:" in out.getvalue()
