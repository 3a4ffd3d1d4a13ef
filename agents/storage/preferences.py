"""Per-user choices that outlive a connection: read questions aloud, agreement to send recordings to
the speech-to-text provider, keep recordings."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from agents.security.files import atomic_write, ensure_private_dir


class Preferences(BaseModel):
    """One user's voice choices."""

    read_aloud: bool = Field(default=False, description="Questions and probes are read aloud.")
    hosted_speech_agreed: bool = Field(
        default=False, description="The user agreed that their recordings go to the speech-to-text provider."
    )
    keep_recordings: bool | None = Field(default=None, description="Keep recordings (None: the deployment's default).")


class PreferenceStore:
    """`<data dir>/preferences/<hash of the user name>.json` (the name itself is never a file name)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, owner: str | None) -> Path:
        digest = hashlib.sha256((owner or "local").encode("utf-8")).hexdigest()[:32]
        return self.root / f"{digest}.json"

    def get(self, owner: str | None) -> Preferences:
        """This user's choices (the defaults when none were saved, or the file is damaged)."""
        try:
            return Preferences.model_validate_json(self._path(owner).read_bytes())
        except (OSError, ValidationError, ValueError):
            return Preferences()

    def set(self, owner: str | None, preferences: Preferences) -> None:
        """Save this user's choices."""
        ensure_private_dir(self.root)
        atomic_write(self._path(owner), json.dumps(preferences.model_dump()).encode("utf-8"))
