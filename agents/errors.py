"""Errors the coach reports to users in plain words (never as a traceback)."""

from __future__ import annotations

from pydantic import ValidationError


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


def validation_problems(
    exc: ValidationError, *, limit: int | None = None, upper: bool = False, show_input: bool = False
) -> list[str]:
    """Each problem of a pydantic error as "where: what" (`upper` for environment variable names,
    `show_input` to add the value given, except for anything that looks like a key)."""
    out = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"])
        where = where.upper() if upper else where
        given = err.get("input")
        shown = ""
        if show_input and isinstance(given, str | int | float) and "KEY" not in where.upper():
            shown = f" (got {given!r})"
        out.append(f"{where or 'document'}: {err['msg']}{shown}")
    return out


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


class SpeechError(CoachError):
    """Speech could not be turned into text (or text into speech). The recording is kept."""
