"""What the interview needs from storage, whatever keeps it: the transcript repository protocol.

The file store (`file_store.TranscriptStore`) is the first implementation; a database one follows
the same protocol. Saves carry an expected version: a transcript is written only if nobody saved
it since it was read, so two tabs (or two instances) can never silently overwrite each other.
"""

from __future__ import annotations

from typing import Protocol

from agents.domain.feedback import Feedback
from agents.domain.transcript import Transcript


class TranscriptRepository(Protocol):
    """Interviews and their feedback, per owner."""

    async def ping(self) -> None:
        """Raise unless the storage can be read and written now (for /health)."""
        ...

    async def get(self, transcript_id: str, owner: str | None = None) -> Transcript:
        """One interview. With an owner given, another user's interview is refused (TranscriptError)."""
        ...

    async def save(self, transcript: Transcript) -> None:
        """Write the interview if its saved revision is still `transcript.revision`, then count the
        revision up; otherwise raise ConflictError and write nothing."""
        ...

    async def restore(self, transcript: Transcript) -> bool:
        """Write a copy exactly as it is (revision unchanged) if no interview of its id is kept here;
        False, and nothing written, if one is (moving interviews between stores, losslessly)."""
        ...

    async def interviews(self, owner: str | None = None) -> list[Transcript]:
        """An owner's interviews (every interview when no owner is given), newest first."""
        ...

    async def save_feedback(self, transcript_id: str, feedback: Feedback) -> None:
        """Keep the feedback of an interview (replacing any earlier one)."""
        ...

    async def load_feedback(self, transcript_id: str) -> Feedback | None:
        """The saved feedback of an interview, if any."""
        ...

    async def delete(self, transcript_id: str, owner: str | None = None) -> bool:
        """Delete an interview with its feedback and judged parts (False: there was none). With an
        owner given, another user's interview is refused (TranscriptError) and nothing deleted."""
        ...

    async def save_part(self, transcript_id: str, part_key: str, body: str) -> None:
        """Keep the judge's finished verdicts on one part of an interview (`part_key`: a hash of the
        part's text, the criteria, the rubric and the judge), so another instance need not redo them."""
        ...

    async def load_part(self, transcript_id: str, part_key: str) -> str | None:
        """Verdicts kept by `save_part` for exactly that part, if any."""
        ...
