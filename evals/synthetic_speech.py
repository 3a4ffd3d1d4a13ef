"""Synthetic speakers for measuring speech to text: espeak-ng (a Debian package) reads text aloud in
several English voices, as 16 kHz samples. Used by `make bench` (word error rates) and by
`coach eval spoken` (do spoken answers score like written ones?). Synthetic voices are harder than
most people and easier than a noisy room: read the figures as that."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from agents.errors import ConfigurationError, SpeechError
from agents.speech.audio import Samples, read_audio

VOICES = {
    "uk": ["en-gb", "en-gb-scotland", "en-gb-x-rp+f3", "en-gb-x-gbclan", "en-gb-x-gbcwmd+f2"],
    "us": ["en-us", "en-us+f3", "en-029", "en-us+m3"],
}

# Initialisms as people say them, letter by letter; espeak-ng reads "ER" as the word "er" and the
# "A" of "A and E" as the article. Only how the clip is spoken changes, never the reference text.
SAID_AS = [
    # Emergency numbers digit by digit, as people say them (espeak-ng reads "999" as a number).
    (r"(?<![\d-])999(?![\d-])", "nine nine nine"),
    (r"(?<![\d-])911(?![\d-])", "nine one one"),
    (r"(?<![\d-])111(?![\d-])", "one one one"),
    (r"(?<![\d-])988(?![\d-])", "nine eight eight"),
    # Marks that are read, not said: a speaker says "so" for an arrow, "or" for a slash.
    (r"\s*(?:→|->|=>)\s*", ", so "),
    (r"(?<=\w)\s*/\s*(?=[A-Za-z])", " or "),
    (r"(?m)^\s*[-*•]\s+", ""),
    (r"\bA and E\b", "ay-and-ee"),
    (r"\bA&E\b", "ay-and-ee"),
    (r"\bER\b", "ee are"),
    (r"\bOB\b", "oh bee"),
    (r"\bGP\b", "gee pee"),
]


# Saved with every heard text: a change to how text is read aloud is a new round trip.
SPEAKER = "espeak-ng/" + hashlib.sha256(repr(SAID_AS).encode()).hexdigest()[:8]


def voice_for(setting: str | None, index: int) -> str:
    """The index-th voice of a health system's accents (UK voices when the setting is unknown)."""
    voices = VOICES.get(setting or "uk", VOICES["uk"])
    return voices[index % len(voices)]


def said(text: str) -> str:
    """Text as it is read aloud: initialisms letter by letter."""
    for pattern, spoken in SAID_AS:
        text = re.sub(pattern, spoken, text)
    return text


def speak_to_file(text: str, voice: str, path: Path, words_per_minute: int = 155) -> Path:
    """Write `text` read by espeak-ng in `voice` to a WAV file (text on standard input, never on
    the command line). Raises ConfigurationError without espeak-ng, SpeechError when it fails."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise ConfigurationError("synthetic speech needs espeak-ng (Debian: apt-get install espeak-ng)")
    try:
        subprocess.run(
            [binary, "-v", voice, "-s", str(words_per_minute), "--stdin", "-w", str(path)],
            input=said(text).encode("utf-8"),
            capture_output=True,
            check=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SpeechError(f"espeak-ng could not read the text aloud in voice {voice} ({type(exc).__name__})") from exc
    return path


def speak(text: str, voice: str) -> Samples:
    """`text` read aloud by espeak-ng in `voice`, as 16 kHz samples."""
    with tempfile.TemporaryDirectory() as tmp:
        path = speak_to_file(text, voice, Path(tmp) / "clip.wav")
        return read_audio(path, max_bytes=200_000_000, max_seconds=3600)
