"""The database is the default store: a data folder that keeps interviews as files (and chat
history in history.db) has them moved into its SQLite database on first use — written, read back
and compared before any file is deleted; a file newer than the database's copy is never
overwritten or deleted; the chat history's rows go with them; `COACH_STORE=files` keeps files."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from pathlib import Path

import pytest

from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import Role, Transcript, TurnKind
from agents.storage.factory import make_repository
from agents.storage.file_store import TranscriptStore
from agents.storage.sql_store import SqlTranscriptStore
from tests.cli_process import run_coach

SCHEMA = Path(__file__).resolve().parents[1] / "agents" / "storage" / "sql" / "chainlit_sqlite.sql"


def _interview(owner: str | None, answer: str) -> Transcript:
    t = Transcript(owner=owner)
    t.add_turn(Role.INTERVIEWER, "Review the AI's answer.", TurnKind.QUESTION)
    t.add_turn(Role.CANDIDATE, answer, TurnKind.ANSWER)
    return t


def _folder_with_files(data: Path, library: PromptLibrary) -> list[Transcript]:
    """A data folder as the file store left it: two interviews, one with feedback and a judged part."""
    from agents.judging.offline import OfflineJudge

    files = TranscriptStore(data)
    kept = [_interview("alice", "The AI should say call 999 now: sepsis can kill."), _interview(None, "See a GP.")]
    for t in kept:
        files.write(t)
    files.write_feedback(kept[0].id, OfflineJudge(library).judge(kept[0]))
    asyncio.run(files.save_part(kept[0].id, "abc123", '{"verdicts": []}'))
    return kept


def _sqlite(data: Path) -> SqlTranscriptStore:
    return SqlTranscriptStore(f"sqlite+aiosqlite:///{data / 'interviews.db'}")


def test_the_database_is_the_default_store(tmp_path: Path) -> None:
    assert load_settings(coach_data_dir=tmp_path).coach_store == "database"
    assert isinstance(make_repository(load_settings(coach_data_dir=tmp_path)), SqlTranscriptStore)


def test_interview_files_move_into_the_database_once_and_nothing_is_lost(
    tmp_path: Path, library: PromptLibrary
) -> None:
    data = tmp_path / "data"
    kept = _folder_with_files(data, library)
    repository = make_repository(load_settings(coach_data_dir=data))

    async def read() -> tuple[list[Transcript], object, str | None]:
        try:
            listed = await repository.interviews()
            return listed, await repository.load_feedback(kept[0].id), await repository.load_part(kept[0].id, "abc123")
        finally:
            await repository.close()  # type: ignore[attr-defined]

    listed, feedback, part = asyncio.run(read())
    by_id = {t.id: t for t in listed}
    for t in kept:
        assert by_id[t.id].model_dump() == t.model_dump(), "the database's copy differs from the file"
    assert feedback is not None and part == '{"verdicts": []}'
    assert not list((data / "transcripts").glob("*.json")), "a moved interview's file is still on disk"
    assert not list((data / "reports").glob("*.json")) and not list((data / "judged-parts").rglob("*.json"))
    # A second start finds nothing to move and changes nothing.
    again = make_repository(load_settings(coach_data_dir=data))
    assert len(asyncio.run(_list_and_close(again))) == 2


async def _list_and_close(repository: object) -> list[Transcript]:
    try:
        return await repository.interviews()  # type: ignore[attr-defined,no-any-return]
    finally:
        await repository.close()  # type: ignore[attr-defined]


def test_a_move_cut_short_carries_on_and_a_newer_file_is_never_overwritten(
    tmp_path: Path, library: PromptLibrary, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    kept = _folder_with_files(data, library)
    files = TranscriptStore(data)
    database = _sqlite(data)

    async def half_moved() -> None:
        try:
            await database.restore(kept[0])  # the last run stopped after writing, before deleting
            older = files.load(kept[1].id)
            await database.restore(older)
        finally:
            await database.close()

    asyncio.run(half_moved())
    ahead = files.load(kept[1].id)
    ahead.add_turn(Role.CANDIDATE, "Written to the file after the database's copy.", TurnKind.ANSWER)
    files.write(ahead)  # the file is now a revision ahead of the database
    with caplog.at_level(logging.INFO, logger="coach.storage"):
        repository = make_repository(load_settings(coach_data_dir=data))
    listed = {t.id: t for t in asyncio.run(_list_and_close(repository))}
    assert f"interview {kept[1].id} kept as a file" in caplog.text, "the operator is not told which file stayed"
    assert "0 moved, 1 already there, 1 kept as files" in caplog.text
    assert not files.path_for(kept[0].id).exists(), "an interview already in the database kept its file"
    assert files.path_for(kept[1].id).exists(), "a file newer than the database's copy was deleted"
    assert files.load(kept[1].id).candidate_turns[-1].text == "Written to the file after the database's copy."
    assert len(listed[kept[1].id].candidate_turns) == 1, "the database's copy was overwritten"


def test_chat_history_moves_from_history_db_into_the_interviews_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    old = sqlite3.connect(data / "history.db")
    old.executescript(SCHEMA.read_text(encoding="utf-8"))
    old.execute("INSERT INTO users (id, identifier, metadata) VALUES ('u1', 'alice', '{}')")
    metadata = json.dumps({"transcript_id": "abc"})
    old.execute("INSERT INTO threads (id, name, \"userId\", metadata) VALUES ('t1', 'Interview', 'u1', ?)", (metadata,))
    old.execute(
        'INSERT INTO steps (id, name, type, "threadId", output) '
        "VALUES ('s1', 'coach', 'assistant_message', 't1', 'Hi')"
    )
    old.commit()
    old.close()
    asyncio.run(_list_and_close(make_repository(load_settings(coach_data_dir=data))))
    assert not (data / "history.db").exists(), "history.db was left beside the database that now holds it"
    moved = sqlite3.connect(data / "interviews.db")
    try:
        assert moved.execute("SELECT name, metadata FROM threads WHERE id = 't1'").fetchone() == ("Interview", metadata)
        assert moved.execute("SELECT output FROM steps WHERE \"threadId\" = 't1'").fetchone() == ("Hi",)
    finally:
        moved.close()


def test_the_file_store_stays_when_chosen(tmp_path: Path, library: PromptLibrary) -> None:
    data = tmp_path / "data"
    kept = _folder_with_files(data, library)
    repository = make_repository(load_settings(coach_data_dir=data, coach_store="files"))
    assert isinstance(repository, TranscriptStore)
    assert all(repository.path_for(t.id).exists() for t in kept)
    assert not (data / "interviews.db").exists()


@pytest.mark.slow
def test_the_terminal_reads_interviews_that_were_files(tmp_path: Path, library: PromptLibrary) -> None:
    data = tmp_path / "data"
    kept = _folder_with_files(data, library)
    shown = run_coach(["progress", "--format", "json"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert not TranscriptStore(data).path_for(kept[0].id).exists()


def test_replaying_a_moved_file_judges_the_databases_copy(tmp_path: Path, library: PromptLibrary) -> None:
    """`coach replay .coach/transcripts/ID.json` still works after the move deleted the file, and an
    interview id alone names one; a name that is neither still says the file was not found."""
    kept = _folder_with_files(tmp_path / "data", library)
    moved = tmp_path / "data" / "transcripts" / f"{kept[1].id}.json"
    assert moved.exists()
    first = run_coach(["replay", str(moved), "--format", "json"], tmp_path)  # the move happens here
    assert first.returncode == 0, first.stderr
    assert not moved.exists()
    again = run_coach(["replay", str(moved), kept[0].id, "--format", "json"], tmp_path)
    assert again.returncode == 0, again.stderr
    reports = [json.loads(line) for line in again.stdout.splitlines()]
    assert [r["source"] for r in reports] == [str(moved), kept[0].id]
    assert f"judging interview {kept[1].id} as saved in the interviews' database" in again.stderr
    missing = run_coach(["replay", str(tmp_path / "nowhere.json"), "--format", "json"], tmp_path)
    assert missing.returncode == 1 and "not found" in missing.stderr
