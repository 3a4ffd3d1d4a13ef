"""The one place the interview repository is chosen, from configuration (COACH_STORE,
COACH_DATABASE_URL): the terminal and the browser use the same one, so an interview begun in one
resumes in the other."""

from __future__ import annotations

from agents.config import Settings
from agents.storage.file_store import TranscriptStore
from agents.storage.repository import TranscriptRepository
from agents.storage.sql_store import SqlTranscriptStore


def database_url(settings: Settings) -> str:
    """The interviews' database: COACH_DATABASE_URL, else SQLite in the data folder."""
    if settings.coach_database_url is not None:
        return settings.coach_database_url.get_secret_value()
    settings.coach_data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(settings.coach_data_dir / 'interviews.db').resolve()}"


def make_repository(settings: Settings) -> TranscriptRepository:
    """Where interviews are kept, as configured."""
    if settings.coach_store == "database":
        return SqlTranscriptStore(database_url(settings))
    return TranscriptStore(settings.coach_data_dir)
