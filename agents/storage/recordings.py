"""Recordings of spoken answers, kept (0600) from the moment the microphone stops until the answer's
text is saved, so that a failed transcription, a crash or a closed tab never loses what was said.
Deleted once the text is saved, unless the user chose to keep recordings."""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from agents.security.files import atomic_write, ensure_private_dir

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


@dataclass(frozen=True)
class Recording:
    """One kept recording: the WAV, and beside it what was heard of it so far (if anything)."""

    path: Path

    @property
    def heard_path(self) -> Path:
        """Where the heard text is kept until the answer is saved."""
        return self.path.with_suffix(".json")

    def heard(self) -> str | None:
        """The text heard of it, if it was transcribed."""
        try:
            return str(json.loads(self.heard_path.read_text(encoding="utf-8"))["heard"])
        except (OSError, ValueError, KeyError, TypeError):
            return None


class RecordingStore:
    """`<data dir>/recordings/<interview id>/<time>.wav`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, transcript_id: str) -> Path:
        if not _SAFE.match(transcript_id):  # an id names a folder: nothing that could climb out of it
            raise ValueError(f"not an interview id: {transcript_id!r}")
        return ensure_private_dir(self.root / transcript_id)

    def save(self, transcript_id: str, wav: bytes) -> Recording:
        """Keep a recording of this interview (before anything is done with it)."""
        folder = self._folder(transcript_id)
        path = folder / f"{time.time_ns()}.wav"
        atomic_write(path, wav)
        return Recording(path)

    def note_heard(self, recording: Recording, heard: str) -> None:
        """Keep what was heard beside the recording, until the answer is saved."""
        atomic_write(recording.heard_path, json.dumps({"heard": heard}).encode("utf-8"))

    def done(self, recording: Recording, *, keep: bool) -> None:
        """The answer's text is saved: drop the heard note, and the audio unless it is to be kept."""
        recording.heard_path.unlink(missing_ok=True)
        if not keep:
            recording.path.unlink(missing_ok=True)

    def delete_all(self, transcript_id: str) -> None:
        """Every recording kept for this interview, gone."""
        shutil.rmtree(self._folder(transcript_id), ignore_errors=True)

    def pending(self, transcript_id: str) -> list[Recording]:
        """Recordings of this interview whose answers were never saved (oldest first)."""
        folder = self.root / transcript_id
        if not _SAFE.match(transcript_id) or not folder.is_dir():
            return []
        return [Recording(p) for p in sorted(folder.glob("*.wav")) if p.with_suffix(".json").exists()]
