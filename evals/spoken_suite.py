"""`coach eval spoken`: do answers that arrive through speech to text score like written ones?

Every candidate answer of a labelled set makes a real round trip: espeak-ng reads it aloud in one of
its health system's voices, the speech model hears it (told the terms the interview's questions use
and the services of its health system, as a live interview tells it), and the heard text is
written as the judge reads it ("nine nine nine" → "999"). The offline judge then scores the written
and the heard transcripts; the suite counts the transcripts whose scores change, the verdicts that
flip (by criterion), and each version's agreement with the labels. What is heard is cached by
text, voice, engine and speech-lexicon version, so a second run only judges.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from agents.domain.library import PromptLibrary
from agents.domain.speech import SpeechLexicon
from agents.domain.transcript import Role, Transcript
from agents.judging.offline import OfflineJudge, health_system_of
from agents.speech.audio import Samples
from agents.speech.engines import Request, Transcriber
from evals.agreement import agreement
from evals.dataset import LabelledSample, load_dataset
from evals.judge_suite import verdicts
from evals.synthetic_speech import SPEAKER, speak, voice_for


@dataclass
class RoundTrip:
    """Text → synthetic speech → speech to text → written forms, cached on disk when `cache` is set."""

    transcriber: Transcriber
    lexicon: SpeechLexicon
    speaker: Callable[[str, str], Samples] = speak
    cache: Path | None = None
    speaker_name: str = SPEAKER  # how text is read aloud, part of what a heard text is cached by
    spoken: int = 0  # answers spoken and heard this run (not from the cache)

    def _key(self, text: str, voice: str, hints: list[str]) -> str:
        raw = json.dumps(
            [self.transcriber.name, self.speaker_name, voice, self.lexicon.version, hints, text], ensure_ascii=False
        )
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def heard(self, text: str, voice: str, hints: list[str]) -> str:
        """What the judge reads when `text` is said aloud in `voice`."""
        path = self.cache / f"{self._key(text, voice, hints)}.txt" if self.cache is not None else None
        if path is not None and path.exists():
            return path.read_text(encoding="utf-8")
        raw = self.transcriber.transcribe(Request(self.speaker(text, voice), hints, self.lexicon.fillers))
        written = self.lexicon.written(raw)
        self.spoken += 1
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename, so an interrupted run never leaves half a text to be read back.
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as f:
                f.write(written)
            os.replace(f.name, path)
        return written

    def transcript(self, transcript: Transcript, setting: str | None) -> Transcript:
        """A copy whose every answer is what was heard, each answer in the next voice of `setting`."""
        asked = " ".join(t.text for t in transcript.turns if t.role is Role.INTERVIEWER)
        hints = self.lexicon.hints_in(asked, setting)
        copy = transcript.model_copy(deep=True)
        answers = [t for t in copy.turns if t.role is Role.CANDIDATE]
        for i, turn in enumerate(answers):
            if turn.text.strip():
                turn.text = self.heard(turn.text, voice_for(setting, i), hints)
        return copy


@dataclass
class SpokenResult:
    """The written and heard transcripts' verdicts, side by side."""

    ids: list[str] = field(default_factory=list)
    labels: list[dict[str, bool]] = field(default_factory=list)
    written: list[dict[str, bool]] = field(default_factory=list)
    heard: list[dict[str, bool]] = field(default_factory=list)
    score_changed: list[str] = field(default_factory=list)  # ids whose dimension scores differ
    lost: Counter[str] = field(default_factory=Counter)  # criterion met when written, not when heard
    gained: Counter[str] = field(default_factory=Counter)


def measure(samples: list[LabelledSample], judge: OfflineJudge, trip: RoundTrip) -> SpokenResult:
    """Judge every sample written and heard."""
    result = SpokenResult()
    rubric = judge.library.rubric
    for sample in samples:
        heard = trip.transcript(sample.transcript, health_system_of(sample.transcript, judge.library))
        before, after = verdicts(judge.judge(sample.transcript)), verdicts(judge.judge(heard))
        result.ids.append(sample.id)
        result.labels.append(sample.labels)
        result.written.append(before)
        result.heard.append(after)
        if rubric.scores(before) != rubric.scores(after):
            result.score_changed.append(sample.id)
        for crit in rubric.criterion_ids:
            if before[crit] and not after[crit]:
                result.lost[crit] += 1
            elif after[crit] and not before[crit]:
                result.gained[crit] += 1
    return result


def report(result: SpokenResult, library: PromptLibrary) -> tuple[list[str], dict[str, Any]]:
    """Printed lines and the JSON summary."""
    n = len(result.ids)
    rubric = library.rubric
    total = n * len(rubric.criterion_ids)
    flips = sum(result.lost.values()) + sum(result.gained.values())
    written = agreement(result.written, result.labels, rubric=rubric)
    heard = agreement(result.heard, result.labels, rubric=rubric)

    def qwk(a: dict[str, Any]) -> str:
        ci = a["mean_qwk_ci"] or [float("nan")] * 2
        return f"{a['mean_qwk']:.3f} (CI {ci[0]:.3f}–{ci[1]:.3f}), band accuracy {a['band_accuracy']:.2f}"

    lines = [
        f"transcripts whose scores changed when their answers were spoken and heard: {len(result.score_changed)}/{n}",
        f"criterion verdicts changed: {flips}/{total}"
        + (f" (lost {sum(result.lost.values())}, gained {sum(result.gained.values())})" if flips else ""),
        "  lost when heard: " + (", ".join(f"{c} {k}" for c, k in result.lost.most_common()) or "none"),
        "  gained when heard: " + (", ".join(f"{c} {k}" for c, k in result.gained.most_common()) or "none"),
        f"agreement with the labels, written answers: mean QWK {qwk(written)}",
        f"agreement with the labels, heard answers:   mean QWK {qwk(heard)}",
    ]
    summary = {
        "transcripts": n,
        "score_changed": result.score_changed,
        "verdicts_changed": flips,
        "verdicts": total,
        "lost": dict(result.lost),
        "gained": dict(result.gained),
        "written": {k: written[k] for k in ("mean_qwk", "mean_qwk_ci", "band_accuracy")},
        "heard": {k: heard[k] for k in ("mean_qwk", "mean_qwk_ci", "band_accuracy")},
    }
    return lines, summary


def run_spoken_suite(
    args: argparse.Namespace,
    library: PromptLibrary,
    out: TextIO,
    *,
    transcriber: Transcriber | None = None,
    speaker: Callable[[str, str], Samples] = speak,
) -> int:
    """Measure, print, write `spoken.json` under `--out` (when given); exit 1 when more transcripts
    change score than `--max-changed` allows."""
    samples = load_dataset(args.dataset)
    if args.limit is not None:
        samples = samples[: args.limit]
    if transcriber is None:
        from agents.speech.engines import LocalWhisper

        transcriber = LocalWhisper(args.model)
    trip = RoundTrip(transcriber, library.speech, speaker, cache=None if args.no_cache else args.cache)
    result = measure(samples, OfflineJudge(library), trip)
    lines, summary = report(result, library)
    out.write(
        f"\nSpoken round trip — {len(samples)} transcripts ({args.dataset}), speech {transcriber.name}, "
        f"{library.speech.version}; {trip.spoken} answer(s) spoken and heard, the rest from the cache\n"
    )
    for line in lines:
        out.write(line + "\n")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "spoken.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if args.max_changed is not None and len(result.score_changed) > args.max_changed * max(1, len(samples)):
        out.write(
            f"FAIL: {len(result.score_changed)}/{len(samples)} transcripts changed score (> {args.max_changed:.0%})\n"
        )
        return 1
    return 0
