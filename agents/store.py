"""Where interviews live on disk: one JSON transcript per interview, one feedback file beside it."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from agents.errors import TranscriptError
from agents.feedback import Feedback
from agents.transcript import Transcript, load_transcript, save_transcript


class TranscriptStore:
    """Saves after every turn (atomically) and lists past interviews, per owner when auth is on."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir
        self.transcripts = data_dir / "transcripts"
        self.reports = data_dir / "reports"

    def save(self, transcript: Transcript) -> Path:
        """Persist the transcript now (temp file, fsync, rename)."""
        return save_transcript(transcript, self.transcripts)

    def path_for(self, transcript_id: str) -> Path:
        """File path of a transcript id (ids are generated hex, never user paths)."""
        if not transcript_id.isalnum():
            raise TranscriptError(transcript_id, "not a valid interview id")
        return self.transcripts / f"{transcript_id}.json"

    def load(self, transcript_id: str, owner: str | None = None) -> Transcript:
        """Load an interview; with an owner given, another user's interview is refused."""
        transcript = load_transcript(self.path_for(transcript_id), source=transcript_id)
        if owner is not None and transcript.owner not in (None, owner):
            raise TranscriptError(transcript_id, "no such interview for this user")
        return transcript

    def list(self, owner: str | None = None) -> list[Transcript]:
        """Past interviews, newest first; only the owner's when an owner is given."""
        out = []
        for path in self.transcripts.glob("*.json"):
            try:
                t = load_transcript(path)
            except TranscriptError:
                continue
            if owner is None or t.owner == owner:
                out.append(t)
        return sorted(out, key=lambda t: t.updated_at, reverse=True)

    def save_feedback(self, transcript_id: str, feedback: Feedback) -> Path:
        """Write the feedback next to the transcript, atomically."""
        self.reports.mkdir(parents=True, exist_ok=True)
        target = self.reports / f"{transcript_id}.json"
        fd, tmp = tempfile.mkstemp(dir=self.reports, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(feedback.model_dump_json(indent=2))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        return target

    def load_feedback(self, transcript_id: str) -> Feedback | None:
        """The saved feedback for an interview, if any."""
        path = self.reports / f"{transcript_id}.json"
        if not path.exists():
            return None
        try:
            return Feedback.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            return None
