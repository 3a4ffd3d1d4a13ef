"""Deleting interviews from every copy the deployment keeps: the repository (transcript, feedback,
judged parts), recordings, Chainlit's chat history; and, for retention (COACH_RETENTION_DAYS),
also uploads in Chainlit's `.files/` and the eval model-call cache older than the limit.

Used by the browser (a user deleting their own interviews, and retention checked as users arrive)
and by `coach delete` / `coach retention`.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, text

from agents.config import Settings
from agents.interview.service import InterviewService
from agents.storage.factory import history_url
from agents.storage.sql_store import sync_engine


@dataclass
class Deleted:
    """What a deletion removed."""

    interviews: list[str]
    history_threads: int = 0
    uploads: int = 0
    cache_files: int = 0


def history_database(settings: Settings) -> str | None:
    """The chat history's database URL (None when there is none yet)."""
    shared = history_url(settings)
    if shared is not None:
        return shared
    path = (settings.coach_data_dir / "history.db").resolve()
    return f"sqlite:///{path}" if path.exists() else None


def delete_history(settings: Settings, transcript_ids: Sequence[str]) -> int:
    """Delete the chat-history threads (with their steps, elements and feedback) that belong to
    these interviews; how many threads went."""
    url = history_database(settings)
    if url is None or not transcript_ids:
        return 0
    engine = sync_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                which = "\"metadata\"->>'transcript_id'"
            else:
                which = "json_extract(\"metadata\", '$.transcript_id')"
            found = conn.execute(
                text(f"SELECT id FROM threads WHERE {which} IN :ids").bindparams(bindparam("ids", expanding=True)),
                {"ids": list(transcript_ids)},
            ).all()
            threads = [str(r[0]) for r in found]
            if threads:
                # Children first: SQLite does not cascade unless asked on every connection.
                for table in ("feedbacks", "elements", "steps"):
                    conn.execute(
                        text(f'DELETE FROM {table} WHERE "threadId" IN :ids').bindparams(
                            bindparam("ids", expanding=True)
                        ),
                        {"ids": threads},
                    )
                conn.execute(
                    text("DELETE FROM threads WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
                    {"ids": threads},
                )
            return len(threads)
    finally:
        engine.dispose()


async def delete_interviews(
    service: InterviewService, settings: Settings, owner: str | None, transcript_ids: Sequence[str] | None = None
) -> Deleted:
    """Delete these interviews of `owner` (all of theirs when None) from every copy."""
    ids = await service.delete_interviews(owner, transcript_ids)
    return Deleted(ids, history_threads=await asyncio.to_thread(delete_history, settings, ids))


def _older_files(folder: Path, cutoff: float) -> int:
    """Delete the entries of `folder` last changed before `cutoff`; how many."""
    gone = 0
    if not folder.is_dir():
        return 0
    for entry in folder.iterdir():
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            gone += 1
        except OSError:
            continue
    return gone


async def apply_retention(service: InterviewService, settings: Settings, uploads: Path | None) -> Deleted | None:
    """Delete what is older than COACH_RETENTION_DAYS everywhere (None: no limit is set)."""
    days = settings.coach_retention_days
    if days is None:
        return None
    ids = await service.delete_older_than(days)
    cutoff = time.time() - days * 86400
    cache = settings.coach_cache_dir or (settings.coach_data_dir / "cache")
    return Deleted(
        ids,
        history_threads=await asyncio.to_thread(delete_history, settings, ids),
        uploads=await asyncio.to_thread(_older_files, uploads, cutoff) if uploads is not None else 0,
        cache_files=await asyncio.to_thread(_older_files, cache, cutoff),
    )
