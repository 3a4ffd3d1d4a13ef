"""The one place the interview repository is chosen, from configuration (COACH_STORE,
COACH_DATABASE_URL): the terminal and the browser use the same one, so an interview begun in one
resumes in the other."""

from __future__ import annotations

from pathlib import Path

from agents.config import Settings
from agents.errors import ConfigurationError
from agents.security.tokens import FileRevocations, RevocationStore
from agents.storage.file_store import TranscriptStore
from agents.storage.repository import TranscriptRepository
from agents.storage.sql_store import DatabaseRevocations, SqlTranscriptStore, async_url, upgrade_now


def database_url(settings: Settings) -> str:
    """The interviews' database: COACH_DATABASE_URL, else SQLite in the data folder."""
    if settings.coach_database_url is not None:
        return settings.coach_database_url.get_secret_value()
    settings.coach_data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{(settings.coach_data_dir / 'interviews.db').resolve()}"


def make_repository(settings: Settings) -> TranscriptRepository:
    """Where interviews are kept, as configured. The database first takes in whatever the data
    folder still keeps as files (see `agents.storage.adopt`)."""
    if settings.coach_store == "database":
        url = database_url(settings)
        adopt_folder(settings, url)
        return SqlTranscriptStore(url)
    return TranscriptStore(settings.coach_data_dir)


def adopt_folder(settings: Settings, url: str) -> None:
    """Move the data folder's interview files (and, when the interviews are in SQLite, its chat
    history) into the database; a look and nothing more once they are in."""
    from sqlalchemy.engine import make_url

    from agents.storage.adopt import adopt_files, has_files

    sqlite_file = None
    if async_url(url).startswith("sqlite"):
        name = make_url(url).database
        sqlite_file = Path(name).resolve() if name and name != ":memory:" else None
    history = (settings.coach_data_dir / "history.db").exists() and sqlite_file is not None
    if has_files(settings.coach_data_dir) or history:
        adopt_files(settings.coach_data_dir, url, sqlite_file)


def shared_database(settings: Settings) -> bool:
    """Whether several instances may share this store: a database server (not a file of one machine)."""
    if settings.coach_store != "database" or settings.coach_database_url is None:
        return False  # files, or SQLite in the data folder: one machine's
    return not async_url(settings.coach_database_url.get_secret_value()).startswith("sqlite")


def prepare_store(settings: Settings) -> None:
    """At start: bring the database's schema up to date (a no-op for the file store), so that
    Chainlit's history and the revocations find their tables before the first request."""
    if settings.coach_store == "database":
        upgrade_now(database_url(settings))


def make_revocations(settings: Settings) -> RevocationStore:
    """Where ended logins are kept: beside the interviews, so every instance on one database agrees."""
    if settings.coach_store == "database":
        return DatabaseRevocations(database_url(settings))
    return FileRevocations(settings.coach_data_dir / "revocations.json")


def history_url(settings: Settings) -> str | None:
    """Chainlit's thread history: the interviews' database when they are in one (None: the file
    store's own SQLite file, which the caller sets up)."""
    if settings.coach_store != "database":
        return None
    return async_url(database_url(settings))


def require_shared_secret(settings: Settings, secret: str | None) -> None:
    """On a shared database every instance must sign logins with the same configured secret."""
    if shared_database(settings) and not secret:
        raise ConfigurationError(
            "CHAINLIT_AUTH_SECRET must be set when login is on and interviews are in a database server: "
            "every instance signs logins with it (generate one with `chainlit create-secret`)"
        )
