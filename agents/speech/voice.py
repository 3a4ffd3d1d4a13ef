"""The interviewer's voice: questions and probes read aloud, behind one seam like speech-to-text.
Offline, espeak-ng (a Debian package) on this machine; with a provider, any OpenAI-compatible
`/v1/audio/speech`. Both return a WAV file's bytes, played in the browser as the question arrives."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any, Protocol

from agents.errors import ConfigurationError, SpeechError

MAX_SPOKEN_CHARS = 1200  # a question or probe; longer text is cut at a sentence end before this


class Speaker(Protocol):
    """What reads text aloud."""

    @property
    def name(self) -> str:
        """What to record as the voice."""
        ...

    def speak(self, text: str) -> bytes:
        """A WAV file of `text` read aloud (blocking: call it off the event loop). Raises SpeechError."""
        ...


def speakable(text: str) -> str:
    """Text as it should be read: no Markdown marks, no time-guide line, at most MAX_SPOKEN_CHARS."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith(("⏱", "_Time guide"))]
    plain = " ".join(" ".join(lines).replace("**", "").replace("__", "").replace("`", "").replace("> ", "").split())
    if len(plain) <= MAX_SPOKEN_CHARS:
        return plain
    cut = plain[:MAX_SPOKEN_CHARS]
    end = max(cut.rfind(". "), cut.rfind("? "))
    return cut[: end + 1] if end > 0 else cut


class EspeakSpeaker:
    """espeak-ng on this machine: nothing leaves it."""

    def __init__(self, voice: str = "en-gb", words_per_minute: int = 165, binary: str | None = None) -> None:
        found = binary or shutil.which("espeak-ng")
        if not found:
            raise ConfigurationError("COACH_TTS=espeak needs espeak-ng (Debian: apt-get install espeak-ng)")
        self.binary = found
        self.voice = voice
        self.words_per_minute = words_per_minute

    @property
    def name(self) -> str:
        """'espeak:' and the voice."""
        return f"espeak:{self.voice}"

    def speak(self, text: str) -> bytes:
        """espeak-ng's WAV of the text (read from standard input, never the command line)."""
        try:
            done = subprocess.run(
                [self.binary, "-v", self.voice, "-s", str(self.words_per_minute), "--stdin", "--stdout"],
                input=speakable(text).encode("utf-8"),
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpeechError(f"espeak-ng could not read the question aloud ({type(exc).__name__})") from exc
        if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
            raise SpeechError(f"espeak-ng could not read the question aloud (exit {done.returncode})")
        return done.stdout


class HostedSpeaker:
    """Any OpenAI-compatible `/v1/audio/speech`. Only the interviewer's text is sent, never the user's."""

    def __init__(self, client: Any, model: str, voice: str) -> None:
        self.client = client
        self.model = model
        self.voice = voice

    @property
    def name(self) -> str:
        """'hosted:' with the model and voice."""
        return f"hosted:{self.model}:{self.voice}"

    def speak(self, text: str) -> bytes:
        """The provider's WAV of the text."""
        try:
            reply = self.client.audio.speech.create(
                model=self.model, voice=self.voice, input=speakable(text), response_format="wav"
            )
            data = reply.read() if hasattr(reply, "read") else bytes(reply.content)
        except Exception as exc:
            raise SpeechError(f"the speech provider could not read the question aloud ({type(exc).__name__})") from exc
        if not data.startswith(b"RIFF"):
            raise SpeechError("the speech provider did not return a WAV file")
        return bytes(data)
