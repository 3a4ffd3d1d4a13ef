"""Moving a data folder's files into its database, once.

Interviews used to be kept as JSON files in the data folder (`transcripts/`, `reports/`,
`judged-parts/`) and the chat history in `history.db`; the database is now the default store. On
first use of the database, whatever the folder still holds as files moves in: each interview is
written to the database, read back and compared, and only then is its file deleted (so a deletion
later reaches every copy, and nothing is lost if the move stops half way: the next start carries
on). An interview whose file is newer than the database's copy stays a file, and is named.

The chat history moves the same way from `history.db` into the interviews' SQLite database, table
by table, over the columns both have.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

from agents.errors import TranscriptError
from agents.storage.file_store import TranscriptStore
from agents.storage.sql_store import SqlTranscriptStore, ensure_schema

logger = logging.getLogger("coach.storage")
_HISTORY_TABLES = ("users", "threads", "steps", "elements", "feedbacks")  # parents before children
_lock = threading.Lock()


@dataclass
class Moved:
    """What a move did."""

    interviews: int = 0
    already_there: int = 0
    kept_as_files: list[str] = field(default_factory=list)  # newer on disk than in the database
    unreadable: int = 0  # files that are no interview this version can read, left where they are
    history_rows: int = 0


def has_files(data_dir: Path) -> bool:
    """Whether the data folder still keeps interviews as files."""
    folder = data_dir / "transcripts"
    return folder.is_dir() and any(folder.glob("*.json"))


async def move_interviews(folder: TranscriptStore, database: SqlTranscriptStore) -> Moved:
    """Move every interview file (with its feedback and judged parts) into the database."""
    moved = Moved()
    readable = folder.list()
    moved.unreadable = len(list(folder.transcripts.glob("*.json"))) - len(readable)
    for transcript in readable:
        try:
            there = await database.get(transcript.id)
        except TranscriptError:
            there = None
        if there is not None and there.revision < transcript.revision:
            moved.kept_as_files.append(transcript.id)  # the file is ahead: never overwrite either
            continue
        if there is None:
            await database.restore(transcript)
            feedback = folder.read_feedback(transcript.id)
            if feedback is not None:
                await database.save_feedback(transcript.id, feedback)
            parts = folder.parts / transcript.id
            for part in sorted(parts.glob("*.json")) if parts.is_dir() else []:
                await database.save_part(transcript.id, part.stem, part.read_text(encoding="utf-8"))
            moved.interviews += 1
        else:
            moved.already_there += 1
        copy = await database.get(transcript.id)  # read back: delete only what the database holds as well
        if copy.revision >= transcript.revision and len(copy.turns) >= len(transcript.turns):
            await folder.delete(transcript.id)  # in the database now: the file copy goes
    return moved


def move_history(history: Path, database: Path) -> int:
    """Copy the chat history's rows from `history` into the SQLite file `database` (rows already
    there are left alone), then delete `history`; how many rows were copied."""
    con = sqlite3.connect(database)
    try:
        con.execute("ATTACH DATABASE ? AS old", (str(history),))
        copied = 0
        with con:
            for table in _HISTORY_TABLES:
                have = {r[1] for r in con.execute(f'PRAGMA main.table_info("{table}")')}
                old = [r[1] for r in con.execute(f'PRAGMA old.table_info("{table}")')]
                columns = ", ".join(f'"{c}"' for c in old if c in have)
                if not columns:
                    continue
                before = con.total_changes
                con.execute(f'INSERT OR IGNORE INTO main."{table}" ({columns}) SELECT {columns} FROM old."{table}"')
                copied += con.total_changes - before
        con.execute("DETACH DATABASE old")
    finally:
        con.close()
    history.unlink()
    return copied


def adopt_files(data_dir: Path, url: str, interviews_file: Path | None) -> Moved:
    """Move what `data_dir` keeps as files into the database at `url` (and `history.db` into
    `interviews_file`, when the interviews are in that SQLite file). Safe to call at every start:
    with nothing left to move it only looks."""
    moved = Moved()
    history = data_dir / "history.db"
    with _lock:
        if has_files(data_dir):

            async def run() -> Moved:
                database = SqlTranscriptStore(url)
                try:
                    return await move_interviews(TranscriptStore(data_dir), database)
                finally:
                    await database.close()

            # Its own thread and event loop: callers may be inside a running loop, or in none.
            outcome: list[Moved | BaseException] = []

            def work() -> None:
                try:
                    outcome.append(asyncio.run(run()))
                except BaseException as exc:  # handed to the caller, in its thread
                    outcome.append(exc)

            worker = threading.Thread(target=work, name="coach-move-files")
            worker.start()
            worker.join()
            if isinstance(outcome[0], BaseException):
                raise outcome[0]
            moved = outcome[0]
            if moved.interviews or moved.already_there or moved.kept_as_files:
                logger.info(
                    "interview files moved into the database: %d moved, %d already there, %d kept as files",
                    moved.interviews,
                    moved.already_there,
                    len(moved.kept_as_files),
                )
            if moved.unreadable:
                logger.warning(
                    "%d file(s) in transcripts/ are no interview this version reads: left there", moved.unreadable
                )
            for transcript_id in moved.kept_as_files:
                logger.warning("interview %s kept as a file: it is newer than the database's copy", transcript_id)
        if interviews_file is not None and history.exists() and history.resolve() != interviews_file.resolve():
            ensure_schema(url)  # the history tables are made by the migrations
            moved.history_rows = move_history(history, interviews_file)
            logger.info("chat history moved into the interviews' database: %d row(s)", moved.history_rows)
    return moved
