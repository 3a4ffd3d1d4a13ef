"""Errors the coach reports to users in plain words (never as a traceback)."""

from __future__ import annotations


class CoachError(Exception):
    """Base class for errors with a message meant for the user."""


class DataError(CoachError):
    """A data file under `prompts/` is missing or malformed."""


class TranscriptError(CoachError):
    """A transcript file could not be read. The message names the file, line and problem."""

    def __init__(self, source: str, problem: str, line: int | None = None) -> None:
        self.source = source
        self.problem = problem
        self.line = line
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


class ModelUnavailableError(CoachError):
    """The model endpoint could not be used (after retries). Nothing the user typed is lost."""


class ConfigurationError(CoachError):
    """A setting is missing or inconsistent."""


class ConflictError(CoachError):
    """A save named a revision that is no longer the latest: someone else (another tab, another
    window) saved the interview first. Nothing was overwritten."""

    def __init__(self, transcript_id: str, expected: int, found: int) -> None:
        self.transcript_id = transcript_id
        self.expected = expected
        self.found = found
        super().__init__(
            f"interview {transcript_id} moved on elsewhere (saved revision {found}, this copy has {expected})"
        )
