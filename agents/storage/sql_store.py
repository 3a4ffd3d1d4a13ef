"""Interviews in a database: the SQLAlchemy (async) implementation of `repository.TranscriptRepository`.

SQLite (`sqlite+aiosqlite:///…`) needs nothing installed; PostgreSQL (`postgresql+asyncpg://…`)
serves several instances at once. The schema is managed by Alembic migrations
(`agents/storage/migrations/`), applied on first use and by `coach db upgrade`; its version
table is the coach's own, so it can share a database with Chainlit's thread history.

A save is one conditional UPDATE (`WHERE revision = expected`): of two writers that read the same
revision, exactly one wins, whichever instance each runs on.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from agents.domain.feedback import Feedback
from agents.domain.transcript import Transcript, utc_now
from agents.errors import ConfigurationError, ConflictError, TranscriptError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "coach_alembic_version"

metadata = MetaData()
interviews = Table(
    "coach_interviews",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(256), nullable=True, index=True),
    Column("status", String(32), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
    Column("body", Text, nullable=False),
)
feedback = Table(
    "coach_feedback",
    metadata,
    Column("transcript_id", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
)
revocations = Table(
    "coach_revocations",
    metadata,
    Column("identifier", String(256), primary_key=True),
    Column("revoked_before", Float, nullable=False),
)
partial_judgements = Table(
    "coach_partial_judgements",
    metadata,
    Column("transcript_id", String(64), primary_key=True),
    Column("part_key", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("body", Text, nullable=False),
)


def async_url(url: str) -> str:
    """A database URL with an async driver (plain `postgresql://` and `sqlite://` get theirs)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (psycopg for PostgreSQL, sqlite3 for SQLite)."""
    url = async_url(url)
    if url.startswith("postgresql+asyncpg://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite+aiosqlite:///"):
        return "sqlite:///" + url.removeprefix("sqlite+aiosqlite:///")
    return url


def sync_engine(url: str) -> Engine:
    """A small synchronous engine on the database at `url` (for checks made inside synchronous
    calls, and for migrations at start); a bad URL is a ConfigurationError that hides the password."""
    try:
        if "postgresql" in url:
            return create_engine(sync_url(url), pool_pre_ping=True, pool_size=2, max_overflow=2)
        return create_engine(sync_url(url))
    except Exception as exc:
        raise ConfigurationError(
            f"COACH_DATABASE_URL cannot be used ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
        ) from None


def upgrade_now(url: str) -> None:
    """Apply the migrations before anything else uses the database (at start, from synchronous code)."""
    engine = sync_engine(url)
    try:
        with engine.begin() as conn:
            _upgrade(conn)
    except ConfigurationError:
        raise
    except Exception as exc:  # unreachable, refused, wrong password: say so, never the password
        raise ConfigurationError(
            f"the database at COACH_DATABASE_URL cannot be used ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'})"
        ) from None
    finally:
        engine.dispose()


_schema_ready: set[str] = set()
_schema_lock = threading.Lock()


def ensure_schema(url: str) -> None:
    """`upgrade_now` once per process and database: for what reads the tables from synchronous
    code and may run before the app's start has migrated (the terminal, on a fresh database)."""
    with _schema_lock:
        if url not in _schema_ready:
            upgrade_now(url)
            _schema_ready.add(url)


class SyncTables:
    """Tables read and written through a small synchronous engine; the schema is brought up to date
    on first use, not when the object is made."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sync_engine(url)

    def connect(self) -> Any:
        """A connection, the schema ready."""
        ensure_schema(self.url)
        return self.engine.connect()

    def begin(self) -> Any:
        """A transaction, the schema ready."""
        ensure_schema(self.url)
        return self.engine.begin()


def _upgrade(connection: Any, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (the newest by default); a no-op when up to date."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def schema_version(engine: AsyncEngine) -> str | None:
    """The migration the database is at (None before the first)."""
    from sqlalchemy import inspect, text

    async with engine.connect() as conn:
        has = await conn.run_sync(lambda c: inspect(c).has_table(VERSION_TABLE))
        if not has:
            return None
        found = await conn.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}"))  # the table name is a constant
        return str(found) if found is not None else None


class SqlTranscriptStore:
    """Interviews and their feedback in one database, per owner."""

    def __init__(self, url: str) -> None:
        try:
            self.engine = create_async_engine(async_url(url), pool_pre_ping=True)
        except Exception as exc:  # a bad URL or a missing driver: say which, never the password
            raise ConfigurationError(
                f"COACH_DATABASE_URL cannot be used ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
            ) from None
        self._ready = False
        self._migrating = asyncio.Lock()

    async def _ensure(self) -> None:
        # Alembic keeps its running migration in module globals: one upgrade at a time per process.
        if self._ready:
            return
        async with self._migrating:
            if not self._ready:
                await upgrade(self.engine)
                self._ready = True

    async def close(self) -> None:
        """Close the connection pool."""
        await self.engine.dispose()

    async def ping(self) -> None:
        """Raise unless the database answers a query now."""
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def get(self, transcript_id: str, owner: str | None = None) -> Transcript:
        """One interview; with an owner given, another user's interview is refused."""
        await self._ensure()
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(interviews.c.body).where(interviews.c.id == transcript_id))).first()
        if row is None:
            raise TranscriptError(transcript_id, "no such interview")
        transcript = Transcript.model_validate_json(row.body)
        if owner is not None and transcript.owner not in (None, owner):
            raise TranscriptError(transcript_id, "no such interview for this user")
        return transcript

    async def save(self, transcript: Transcript) -> None:
        """Write the interview if its saved revision is still `transcript.revision` (one conditional
        UPDATE, or the first INSERT), then count the revision up; else ConflictError, nothing written."""
        await self._ensure()
        expected = transcript.revision
        transcript.revision = expected + 1
        values = _row(transcript)
        try:
            async with self.engine.begin() as conn:
                done = await conn.execute(
                    update(interviews)
                    .where(interviews.c.id == transcript.id, interviews.c.revision == expected)
                    .values(**values)
                )
                if done.rowcount == 0:
                    found = await conn.scalar(select(interviews.c.revision).where(interviews.c.id == transcript.id))
                    if found is not None:
                        raise ConflictError(transcript.id, expected, int(found))
                    await conn.execute(insert(interviews).values(**values))
        except IntegrityError:
            transcript.revision = expected
            raise ConflictError(transcript.id, expected, expected + 1) from None  # another writer inserted first
        except BaseException:
            transcript.revision = expected
            raise

    async def restore(self, transcript: Transcript) -> bool:
        """Write a copy as it is (revision unchanged) unless this id is kept here already."""
        await self._ensure()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(interviews).values(**_row(transcript)))
        except IntegrityError:
            return False
        return True

    async def interviews(self, owner: str | None = None) -> list[Transcript]:
        """An owner's interviews (every interview when no owner is given), newest first."""
        await self._ensure()
        query = select(interviews.c.body).order_by(interviews.c.updated_at.desc())
        if owner is not None:
            query = query.where(interviews.c.owner == owner)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Transcript.model_validate_json(r.body) for r in rows]

    async def save_feedback(self, transcript_id: str, result: Feedback) -> None:
        """Keep the feedback of an interview (replacing any earlier one)."""
        await self._ensure()
        body = result.model_dump_json()
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(feedback).where(feedback.c.transcript_id == transcript_id).values(body=body)
            )
            if done.rowcount == 0:
                await conn.execute(
                    insert(feedback).values(transcript_id=transcript_id, created_at=utc_now(), body=body)
                )

    async def delete(self, transcript_id: str, owner: str | None = None) -> bool:
        """Delete the interview, its feedback and its judged parts in one transaction."""
        if owner is not None:
            try:
                await self.get(transcript_id, owner)  # refuses another user's interview
            except TranscriptError:
                exists = await self._exists(transcript_id)
                if exists:
                    raise
                return False
        await self._ensure()
        async with self.engine.begin() as conn:
            done = await conn.execute(delete(interviews).where(interviews.c.id == transcript_id))
            await conn.execute(delete(feedback).where(feedback.c.transcript_id == transcript_id))
            await conn.execute(delete(partial_judgements).where(partial_judgements.c.transcript_id == transcript_id))
        return bool(done.rowcount)

    async def _exists(self, transcript_id: str) -> bool:
        async with self.engine.connect() as conn:
            return (await conn.scalar(select(interviews.c.id).where(interviews.c.id == transcript_id))) is not None

    async def save_part(self, transcript_id: str, part_key: str, body: str) -> None:
        """Keep the judge's finished verdicts on one part of an interview (`part_key` names the part's
        exact text, the criteria, the rubric and the judge), for whichever instance finishes it."""
        await self._ensure()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(partial_judgements).values(
                        transcript_id=transcript_id, part_key=part_key, created_at=utc_now(), body=body
                    )
                )
        except IntegrityError:
            pass  # the same part, judged by another instance too: either copy will do

    async def load_part(self, transcript_id: str, part_key: str) -> str | None:
        """Verdicts kept by `save_part`, if that exact part was judged."""
        await self._ensure()
        async with self.engine.connect() as conn:
            return await conn.scalar(
                select(partial_judgements.c.body).where(
                    partial_judgements.c.transcript_id == transcript_id, partial_judgements.c.part_key == part_key
                )
            )

    async def load_feedback(self, transcript_id: str) -> Feedback | None:
        """The saved feedback of an interview, if any."""
        await self._ensure()
        async with self.engine.connect() as conn:
            body = await conn.scalar(select(feedback.c.body).where(feedback.c.transcript_id == transcript_id))
        return Feedback.model_validate_json(body) if body is not None else None


def _row(transcript: Transcript) -> dict[str, Any]:
    """The interview's row, revision as the transcript carries it."""
    return {
        "id": transcript.id,
        "owner": transcript.owner,
        "status": transcript.status.value,
        "revision": transcript.revision,
        "created_at": transcript.created_at,
        "updated_at": transcript.updated_at,
        "body": transcript.model_dump_json(),
    }


class DatabaseRevocations(SyncTables):
    """Ended logins in the database every instance shares (see `agents.security.tokens`). A token is
    checked inside Chainlit's synchronous decoding, so this reads through a small synchronous engine;
    answers are reused for a second, which bounds both the load and how late another instance learns
    of a logout (the instance that logged the user out knows at once)."""

    def __init__(self, url: str, *, ttl_seconds: float = 1.0) -> None:
        super().__init__(url)
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, float]] = {}

    def revoked_before(self, user: str) -> float:
        """See RevocationStore."""
        now = time.monotonic()
        hit = self._cache.get(user)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        with self.connect() as conn:
            found = conn.scalar(select(revocations.c.revoked_before).where(revocations.c.identifier == user))
        value = float(found) if found is not None else 0.0
        self._cache[user] = (now, value)
        return value

    def revoke(self, user: str, at: float) -> None:
        """See RevocationStore: one row per user, only ever moved later."""
        try:
            with self.begin() as conn:
                conn.execute(insert(revocations).values(identifier=user, revoked_before=at))
        except IntegrityError:  # a row already: move it later, never earlier
            with self.begin() as conn:
                conn.execute(
                    update(revocations)
                    .where(revocations.c.identifier == user, revocations.c.revoked_before < at)
                    .values(revoked_before=at)
                )
        self._cache.pop(user, None)
