"""Interviews on disk: one JSON transcript per interview, one feedback file beside it.

The file implementation of `repository.TranscriptRepository`. Reads and writes are small and local,
so they run in place; the protocol is async so that a database implementation can wait on I/O.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agents.domain.feedback import Feedback
from agents.domain.transcript import Transcript, load_transcript, save_transcript
from agents.errors import ConflictError, TranscriptError
from agents.security.files import atomic_write, ensure_private_dir

_REVISION = re.compile(rb'"revision"\s*:\s*(\d+)')


class TranscriptStore:
    """Saves after every turn (atomically) and lists past interviews, per owner when auth is on."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir
        self.transcripts = data_dir / "transcripts"
        self.reports = data_dir / "reports"
        self.parts = data_dir / "judged-parts"

    # ----- the repository protocol ----------------------------------------------------------

    async def ping(self) -> None:
        """Raise unless the data folder can be written (a file made and removed there)."""
        ensure_private_dir(self.transcripts)
        probe = self.transcripts / ".health"
        probe.write_bytes(b"")
        probe.unlink()

    async def get(self, transcript_id: str, owner: str | None = None) -> Transcript:
        """Load an interview; with an owner given, another user's interview is refused."""
        return self.load(transcript_id, owner)

    async def save(self, transcript: Transcript) -> None:
        """Persist the transcript if nobody saved it since it was read (see `write`)."""
        self.write(transcript)

    async def restore(self, transcript: Transcript) -> bool:
        """Write a copy as it is (revision unchanged) unless this id is kept here already."""
        ensure_private_dir(self.transcripts)
        with self._locked(transcript.id):
            if self._saved_revision(transcript.id) is not None:
                return False
            save_transcript(transcript, self.transcripts)
            return True

    async def interviews(self, owner: str | None = None) -> list[Transcript]:
        """Past interviews, newest first; only the owner's when an owner is given."""
        return self.list(owner)

    async def save_feedback(self, transcript_id: str, feedback: Feedback) -> None:
        """Write the feedback next to the transcript, atomically."""
        self.write_feedback(transcript_id, feedback)

    async def load_feedback(self, transcript_id: str) -> Feedback | None:
        """The saved feedback for an interview, if any."""
        return self.read_feedback(transcript_id)

    async def delete(self, transcript_id: str, owner: str | None = None) -> bool:
        """Delete the transcript, its feedback and its judged parts (see the protocol)."""
        path = self.path_for(transcript_id)
        with self._locked(transcript_id):
            if not path.exists():
                return False
            if owner is not None:
                self.load(transcript_id, owner)  # refuses another user's interview
            path.unlink()
            (self.reports / f"{transcript_id}.json").unlink(missing_ok=True)
            shutil.rmtree(self.parts / transcript_id, ignore_errors=True)
        return True

    async def save_part(self, transcript_id: str, part_key: str, body: str) -> None:
        """Keep one part's verdicts in `judged-parts/<id>/<key>.json`, atomically."""
        atomic_write(self._part_path(transcript_id, part_key), body.encode("utf-8"))

    async def load_part(self, transcript_id: str, part_key: str) -> str | None:
        """One part's kept verdicts, if that exact part was judged."""
        try:
            return self._part_path(transcript_id, part_key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def _part_path(self, transcript_id: str, part_key: str) -> Path:
        if not transcript_id.isalnum() or not part_key.isalnum():
            raise TranscriptError(transcript_id, "not a valid interview id")
        return self.parts / transcript_id / f"{part_key}.json"

    # ----- files ------------------------------------------------------------------------------

    def write(self, transcript: Transcript) -> Path:
        """Persist the transcript now (temp file, fsync, rename), if nobody saved it since it was read.

        The saved file's revision must equal `transcript.revision`, else ConflictError and nothing is
        written; on success the revision goes up by one. The check and the write hold one lock, so two
        tabs or two processes cannot both win.
        """
        ensure_private_dir(self.transcripts)
        with self._locked(transcript.id):
            found = self._saved_revision(transcript.id)
            if found is not None and found != transcript.revision:
                raise ConflictError(transcript.id, transcript.revision, found)
            transcript.revision += 1
            try:
                return save_transcript(transcript, self.transcripts)
            except BaseException:
                transcript.revision -= 1
                raise

    @contextmanager
    def _locked(self, transcript_id: str) -> Iterator[None]:
        lock = self.transcripts / f".{self.path_for(transcript_id).stem}.lock"
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _saved_revision(self, transcript_id: str) -> int | None:
        # Only the revision is needed: read the head of the file rather than parsing it all.
        path = self.path_for(transcript_id)
        try:
            with path.open("rb") as fh:
                head = fh.read(4096)
                rest = b"" if _REVISION.search(head) else fh.read()
        except FileNotFoundError:
            return None
        match = _REVISION.search(head + rest)
        return int(match.group(1)) if match else 0

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

    def write_feedback(self, transcript_id: str, feedback: Feedback) -> Path:
        """Write the feedback next to the transcript, atomically."""
        return atomic_write(self.reports / f"{transcript_id}.json", feedback.model_dump_json(indent=2).encode("utf-8"))

    def read_feedback(self, transcript_id: str) -> Feedback | None:
        """The saved feedback file for an interview, if any."""
        path = self.reports / f"{transcript_id}.json"
        if not path.exists():
            return None
        try:
            return Feedback.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            return None
