"""Live transcription: an answer transcribed in parts while the candidate is still speaking, cut at
natural pauses, so that when they stop only the last few seconds are left to transcribe.

`LiveAnswer.add` takes the microphone's chunks as they arrive; `finish` returns the whole text. A
realistic interview asks `ended_by_silence` after each chunk, as the real screens do.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np

from agents.speech.audio import FRAME, RATE, Samples, Speech, frame_levels, from_pcm16, speech_from_levels
from agents.speech.engines import Request, Transcriber

MIN_PART = 6.0  # seconds of audio before a part is cut off (shorter parts lose context and words)
MAX_PART = 15.0  # a part is cut here even without a pause (Whisper's window is 30 s)
CUT_PAUSE = 0.45  # a pause this long (between sentences, mostly) is a place to cut between parts
PAD = 0.2  # seconds of silence around each part: Whisper mishears words that touch the edge


@dataclass(frozen=True)
class Heard:
    """A finished spoken answer."""

    text: str
    samples: Samples
    speech: Speech
    engine: str
    seconds_to_text: float  # from the end of the recording to the text being ready


class LiveAnswer:
    """One answer being spoken."""

    def __init__(self, transcriber: Transcriber, *, hints: list[str], fillers: list[str], max_seconds: float) -> None:
        self.transcriber = transcriber
        self.hints = hints
        self.fillers = fillers
        self.max_seconds = max_seconds
        self._chunks: list[Samples] = []
        self._size = 0
        self._tail = np.zeros(0, dtype=np.float32)  # samples not yet a whole level frame
        self._levels: list[float] = []
        self._cut = 0  # samples before this are transcribed or queued
        self._parts: list[str] = []
        self._queue: asyncio.Queue[tuple[int, int] | None] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self.over_limit = False

    @property
    def seconds(self) -> float:
        """Length so far."""
        return self._size / RATE

    def add(self, pcm16: bytes, rate: int) -> None:
        """A chunk from the microphone (16-bit mono PCM at `rate`). Past `max_seconds`, chunks are
        dropped and `over_limit` is set."""
        samples = from_pcm16(pcm16, rate)
        room = int(self.max_seconds * RATE) - self._size
        if samples.size > room:
            samples = samples[: max(0, room)]
            self.over_limit = True
        if samples.size == 0:
            return
        self._chunks.append(samples)
        self._size += samples.size
        self._measure(samples)
        self._maybe_cut()

    def _measure(self, samples: Samples) -> None:
        step = int(RATE * FRAME)
        data = np.concatenate([self._tail, samples]) if self._tail.size else samples
        whole = data.size // step * step
        if whole:
            frames = data[:whole].reshape(-1, step).astype(np.float64)
            self._levels.extend(float(x) for x in np.sqrt(np.mean(frames**2, axis=1)))
        self._tail = data[whole:]

    def speech(self) -> Speech:
        """Where the speech is so far."""
        return speech_from_levels(self._levels, self.seconds)

    def ended_by_silence(self, silence_seconds: float) -> bool:
        """Whether the candidate spoke and has now been silent for `silence_seconds`."""
        if self.seconds < silence_seconds:
            return False
        speech = self.speech()
        return not speech.silent and speech.trailing_silence() >= silence_seconds

    def _maybe_cut(self) -> None:
        pending = (self._size - self._cut) / RATE
        if pending < MIN_PART:
            return
        frame = int(RATE * FRAME)
        first = self._cut // frame
        window = speech_from_levels(self._levels[first:], pending, min_gap=CUT_PAUSE)
        cut: int | None = None
        for (_, end), (start, _) in zip(window.spans, window.spans[1:], strict=False):
            middle = (end + start) / 2
            if middle >= MIN_PART:
                cut = self._cut + int(middle * RATE)
        if cut is None and window.spans and window.trailing_silence() >= CUT_PAUSE:
            cut = self._cut + int((window.spans[-1][1] + 0.1) * RATE)
        if cut is None and pending >= MAX_PART:
            cut = self._size
        if cut is not None and cut > self._cut:
            self._queue.put_nowait((self._cut, cut))
            self._cut = cut
            self._start_worker()

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = asyncio.get_running_loop().create_task(self._work())

    def _samples(self) -> Samples:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        return self._chunks[0] if self._chunks else np.zeros(0, dtype=np.float32)

    async def _work(self) -> None:
        while True:
            span = await self._queue.get()
            if span is None:
                return
            if self._failure is not None:
                continue  # the answer failed already; drain so finish() returns
            part = self._samples()[span[0] : span[1]]
            if not speech_from_levels(frame_levels(part), part.size / RATE).spans:
                continue  # a stretch of silence: nothing to hear, and Whisper invents words in silence
            pad = np.zeros(int(PAD * RATE), dtype=np.float32)
            request = Request(np.concatenate([pad, part, pad]), self.hints, self.fillers)
            try:
                text = await asyncio.to_thread(self.transcriber.transcribe, request)
            except Exception as exc:  # kept and raised by finish(), with the audio kept too
                self._failure = exc
                continue
            if text:
                self._parts.append(text)

    async def finish(self) -> Heard:
        """The whole answer's text: waits for the parts under way and transcribes the rest. Raises
        what the engine raised (SpeechError); the samples stay available through `samples()`."""
        started = time.perf_counter()
        if self._cut < self._size:
            self._queue.put_nowait((self._cut, self._size))
            self._cut = self._size
        self._queue.put_nowait(None)
        self._start_worker()
        assert self._worker is not None
        await self._worker
        if self._failure is not None:
            raise self._failure
        samples = self._samples()
        return Heard(
            text=" ".join(self._parts).strip(),
            samples=samples,
            speech=speech_from_levels(self._levels, samples.size / RATE),
            engine=self.transcriber.name,
            seconds_to_text=time.perf_counter() - started,
        )

    def samples(self) -> Samples:
        """Everything recorded so far (kept when transcription fails)."""
        return self._samples()
