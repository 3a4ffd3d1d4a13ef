"""Audio as the speech engines want it: mono float32 at 16 kHz, from the browser's PCM16 chunks or a
file (WAV, MP3, WebM, anything FFmpeg reads), with where the speech and the pauses are.

Speech is found by short-time energy against the recording's own noise floor: no model, so it runs
on every chunk as it arrives (a realistic interview ends an answer on a long silence).
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from agents.domain.scenarios import Scenario
from agents.domain.speech import Delivery, SpeechLexicon, delivery_of
from agents.errors import DataError

RATE = 16_000  # what Whisper models and the delivery figures work in
FRAME = 0.03  # seconds per energy frame
FILE_BYTES_PER_SECOND = 64_000  # a recording file's size bound per second allowed: WAV at 16 kHz, well over compressed
Samples = npt.NDArray[np.float32]


class AudioError(DataError):
    """A recording that cannot be used: unreadable, empty, silent or over the limits."""


def from_pcm16(data: bytes, rate: int) -> Samples:
    """Little-endian 16-bit mono PCM (what Chainlit's microphone sends) as float32 at 16 kHz."""
    if len(data) % 2:
        data = data[:-1]  # a chunk split mid-sample: the half sample is noise
    samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    return resample(samples, rate)


def resample(samples: Samples, rate: int) -> Samples:
    """`samples` at `rate` as 16 kHz (linear interpolation: speech engines need nothing finer)."""
    if rate == RATE or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    n = round(samples.size * RATE / rate)
    x = np.linspace(0.0, samples.size - 1, num=n, dtype=np.float64)
    return np.interp(x, np.arange(samples.size), samples).astype(np.float32)


def to_pcm16(samples: Samples) -> bytes:
    """float32 samples as little-endian 16-bit PCM."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def wav_bytes(samples: Samples, rate: int = RATE) -> bytes:
    """A mono 16-bit WAV file of these samples."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_pcm16(samples))
    return out.getvalue()


def read_audio(path: Path, *, max_bytes: int, max_seconds: float) -> Samples:
    """A recording file as 16 kHz mono samples. Raises AudioError naming the file and what is wrong
    (missing, too large, not audio, too long, empty)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise AudioError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if not path.is_file():
        raise AudioError(f"{path}: not a regular file")
    if size > max_bytes:
        raise AudioError(f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit for a recording")
    from faster_whisper.audio import decode_audio  # PyAV (FFmpeg's libraries), loaded only for files

    try:
        samples = decode_audio(str(path), sampling_rate=RATE)
    except Exception as exc:  # PyAV raises many kinds; the message is what matters to the user
        raise AudioError(f"{path}: not a recording FFmpeg can read ({type(exc).__name__}: {exc})") from exc
    samples = np.asarray(samples, dtype=np.float32)
    seconds = samples.size / RATE
    if seconds > max_seconds:
        raise AudioError(f"{path}: {seconds:.0f} s is over the {max_seconds:.0f} s limit for one answer")
    if samples.size == 0:
        raise AudioError(f"{path}: the recording is empty")
    return samples


@dataclass(frozen=True)
class Speech:
    """Where the speech is in a recording."""

    seconds: float
    spans: list[tuple[float, float]]  # (start, end) of each stretch of speech, seconds

    @property
    def speaking_seconds(self) -> float:
        """Time with speech in it."""
        return sum(b - a for a, b in self.spans)

    @property
    def pauses(self) -> list[float]:
        """Gaps between stretches of speech (not the silence before the first or after the last)."""
        return [b[0] - a[1] for a, b in zip(self.spans, self.spans[1:], strict=False)]

    @property
    def silent(self) -> bool:
        """No speech at all."""
        return not self.spans

    def delivery(self, lexicon: SpeechLexicon, heard: str, scenario: Scenario | None) -> Delivery:
        """The delivery figures of an answer heard as `heard` in this recording."""
        return delivery_of(
            lexicon,
            heard,
            seconds=self.seconds,
            speaking_seconds=self.speaking_seconds,
            pauses=self.pauses,
            scenario=scenario,
        )

    def trailing_silence(self) -> float:
        """Seconds since the last speech (the whole length if there was none)."""
        return self.seconds - self.spans[-1][1] if self.spans else self.seconds


def frame_levels(samples: Samples) -> list[float]:
    """Root-mean-square level of each whole FRAME of the samples."""
    step = int(RATE * FRAME)
    if samples.size < step:
        return []
    frames = samples[: samples.size // step * step].reshape(-1, step)
    return [float(x) for x in np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))]


def find_speech(samples: Samples, *, min_gap: float = 0.35, min_span: float = 0.12) -> Speech:
    """Stretches of speech: frames well above the noise floor, joined across gaps under `min_gap`
    seconds, dropping blips under `min_span`."""
    return speech_from_levels(frame_levels(samples), samples.size / RATE, min_gap=min_gap, min_span=min_span)


def speech_from_levels(
    levels: list[float] | npt.NDArray[np.float64], seconds: float, *, min_gap: float = 0.35, min_span: float = 0.12
) -> Speech:
    """`find_speech` from frame levels already measured (live audio measures each frame once)."""
    rms = np.asarray(levels, dtype=np.float64)
    if rms.size == 0:
        return Speech(seconds, [])
    floor = float(np.percentile(rms, 10))
    # Speech is well above this recording's own floor (but a recording may be all speech: then its
    # floor is speech too, and a third of the loudest frame is the bar) and above an absolute floor
    # (digital silence, a muted microphone's hiss).
    loudest = float(np.max(rms))
    threshold = max(0.01, min(floor * 3.0, loudest * 0.3), loudest * 0.05)
    voiced = rms > threshold
    spans: list[tuple[float, float]] = []
    start: int | None = None
    for i, v in enumerate(voiced):
        if v and start is None:
            start = i
        elif not v and start is not None:
            spans.append((start * FRAME, i * FRAME))
            start = None
    if start is not None:
        spans.append((start * FRAME, len(voiced) * FRAME))
    joined: list[tuple[float, float]] = []
    for a, b in spans:
        if joined and a - joined[-1][1] < min_gap:
            joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    return Speech(seconds, [(round(a, 3), round(b, 3)) for a, b in joined if b - a >= min_span])


def rms_level(samples: Samples) -> float:
    """Root-mean-square level (0 for digital silence)."""
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if samples.size else 0.0
