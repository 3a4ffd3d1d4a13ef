"""Speech figures for `make bench`: word error rate of the offline speech model on spoken clinical
answers, drug names and escalation routes counted separately, its real-time factor on this machine,
and the wait from the end of speech to the text while the answer is heard live.

The answers (`evals/datasets/speech_v1/answers.jsonl`, written by someone who never saw the speech
code, frozen by hash) are spoken by espeak-ng in several English voices and accents. Synthetic
voices are harder than most people (and easier than a noisy room): read the figures as that.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from agents.domain.library import PromptLibrary
from agents.speech.audio import RATE, Samples, read_audio, to_pcm16
from agents.speech.engines import BASE, TINY_EN, LocalWhisper, Request
from agents.speech.live import LiveAnswer
from evals.synthetic_speech import speak_to_file, voice_for

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "evals" / "datasets" / "speech_v1"


@dataclass(frozen=True)
class Answer:
    """One spoken answer of the set."""

    id: str
    setting: str
    text: str
    drugs: list[str]
    routes: list[str]


def load_set() -> list[Answer]:
    """The frozen set; refuses a file whose hash no longer matches FROZEN.sha256."""
    data = (SET / "answers.jsonl").read_bytes()
    frozen = (SET / "FROZEN.sha256").read_text().split()[0]
    if hashlib.sha256(data).hexdigest() != frozen:
        raise SystemExit(f"{SET / 'answers.jsonl'} changed since it was frozen: the figures would not be comparable")
    return [Answer(**json.loads(line)) for line in data.decode().splitlines() if line.strip()]


def speak(answer: Answer, index: int, folder: Path) -> tuple[Path, str]:
    """The answer spoken by one of its setting's voices, as a 16 kHz WAV."""
    voice = voice_for(answer.setting, index)
    return speak_to_file(answer.text, voice, folder / f"{answer.id}.wav"), voice


@lru_cache(maxsize=1)
def _normaliser() -> Callable[[str], str]:
    from whisper_normalizer.english import EnglishTextNormalizer

    return EnglishTextNormalizer()  # type: ignore[no-any-return]


def words(text: str, library: PromptLibrary) -> list[str]:
    """Text as compared words: the product's written forms first (what the judge reads), then the
    normaliser the Whisper paper's word error rates use (case, punctuation, contractions, spelling
    variants, number words and hesitations), so a word counts as wrong only when it is."""
    written = library.speech.written(text).replace("&", " and ")
    return str(_normaliser()(written)).split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Word-level Levenshtein distance."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def found(term: str, text: str, library: PromptLibrary) -> bool:
    """Whether a drug or route comes out in the written text (whole words, any case)."""
    t = " ".join(words(term, library))
    return re.search(rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])", " ".join(words(text, library))) is not None


def hints_for(answer: Answer, library: PromptLibrary, with_drugs: bool) -> list[str]:
    """What the engine is told: the setting's services, and (as a scenario about these medicines
    would) the answer's drug names."""
    return [*(answer.drugs if with_drugs else []), *library.speech.services.get(answer.setting, [])]


def accuracy(
    model: LocalWhisper, answers: list[Answer], clips: dict[str, Samples], library: PromptLibrary, with_drugs: bool
) -> dict[str, float]:
    """WER, drug and route recall, and real-time factor of whole-answer transcription."""
    errors = total = 0
    drugs = drugs_ok = routes = routes_ok = invented = 0
    known_routes = {r for a in answers for r in a.routes} | {
        str(r) for table in library.speech.services.values() for r in table
    }
    spent = audio = 0.0
    for a in answers:
        samples = clips[a.id]
        started = time.perf_counter()
        heard = model.transcribe(Request(samples, hints_for(a, library, with_drugs), library.speech.fillers))
        spent += time.perf_counter() - started
        audio += samples.size / RATE
        ref = words(a.text, library)
        errors += edit_distance(ref, words(heard, library))
        total += len(ref)
        drugs += len(a.drugs)
        drugs_ok += sum(found(d, heard, library) for d in a.drugs)
        routes += len(a.routes)
        routes_ok += sum(found(r, heard, library) for r in a.routes)
        # A route heard that was never said would earn B4 for nothing: the worst error here.
        invented += sum(found(r, heard, library) and not found(r, a.text, library) for r in known_routes)
    return {
        "invented": invented,
        "wer": errors / max(1, total),
        "drugs": drugs_ok / max(1, drugs),
        "drug_count": drugs,
        "routes": routes_ok / max(1, routes),
        "route_count": routes,
        "rtf": spent / max(1e-9, audio),
        "audio_seconds": audio,
    }


async def live_wait(
    model: LocalWhisper, samples: Samples, hints: list[str], library: PromptLibrary
) -> tuple[float, str]:
    """Feed a recording in 100 ms chunks at real time, as the browser does; return the seconds from
    the end of the recording to the text, and the text."""
    pcm = to_pcm16(samples)
    live = LiveAnswer(model, hints=hints, fillers=library.speech.fillers, max_seconds=600)
    step = int(0.1 * RATE) * 2
    started = time.perf_counter()
    for n, i in enumerate(range(0, len(pcm), step)):
        live.add(pcm[i : i + step], RATE)
        # Keep to the wall clock: the next chunk arrives 100 ms after the last one was due.
        await asyncio.sleep(max(0.0, started + (n + 1) * 0.1 - time.perf_counter()))
    heard = await live.finish()
    return heard.seconds_to_text, heard.text


async def run(library: PromptLibrary, fmt: Callable[[str, float, str, bool, str], str]) -> None:
    """Print the speech figures (`fmt` formats one figure as the other benchmarks do)."""
    answers = load_set()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips: dict[str, Samples] = {}
        voices: dict[str, int] = {}
        for i, a in enumerate(answers):
            path, voice = speak(a, i, folder)
            clips[a.id] = read_audio(path, max_bytes=50_000_000, max_seconds=600)
            voices[voice] = voices.get(voice, 0) + 1
        print(f"\n6. Speech to text ({len(answers)} spoken answers of speech_v1, espeak-ng voices {sorted(voices)})")
        for name in (BASE, TINY_EN):
            model = LocalWhisper(name)
            model.load()
            for with_drugs in (True, False):
                m = accuracy(model, answers, clips, library, with_drugs)
                label = f"{name}, {'scenario hints' if with_drugs else 'services only'}"
                print(
                    fmt(
                        f"word error rate, {label}",
                        m["wer"],
                        "<= 0.12",
                        m["wer"] <= 0.12,
                        f"drug names {m['drugs']:.2f} of {m['drug_count']}, routes {m['routes']:.2f} of "
                        f"{m['route_count']}, routes heard but not said {m['invented']:.0f}; "
                        f"{m['audio_seconds']:.0f} s of audio",
                    )
                )
                if with_drugs:
                    print(
                        fmt(
                            f"real-time factor, {name}, 2 cores", m["rtf"], "<= 0.15", m["rtf"] <= 0.15, "whole answers"
                        )
                    )
        # About 30-second answers (three answers of one setting with pauses between), heard live.
        model = LocalWhisper(BASE)
        pause = np.zeros(int(0.7 * RATE), dtype=np.float32)
        for setting in ("uk", "us"):
            group = [a for a in answers if a.setting == setting][:3]
            samples = np.concatenate([x for a in group for x in (clips[a.id], pause)])
            hints = [d for a in group for d in a.drugs] + list(library.speech.services.get(setting, []))
            wait, text = await live_wait(model, samples, hints, library)
            ref = [w for a in group for w in words(a.text, library)]
            wer = edit_distance(ref, words(text, library)) / max(1, len(ref))
            whole = model.transcribe(Request(samples, hints, library.speech.fillers))
            whole_wer = edit_distance(ref, words(whole, library)) / max(1, len(ref))
            print(
                fmt(
                    f"end of speech to text, {samples.size / RATE:.0f} s answer ({setting})",
                    wait,
                    "<= 2 s",
                    wait <= 2.0,
                    f"heard live in parts while spoken; word error rate {wer:.3f} (the same answer heard "
                    f"whole after it ends: {whole_wer:.3f})",
                )
            )
