"""Every interview repository keeps the same promises — the JSON folder, SQLite and a real
PostgreSQL server started here: a save names the revision it read and two writers of one revision
never both win, another user's interview is refused, lists are per owner and newest first,
feedback is kept and replaced, copies between stores are lossless, migrations apply once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from agents.domain.transcript import Role, Transcript, TurnKind
from agents.errors import ConflictError, TranscriptError
from agents.storage.file_store import TranscriptStore
from agents.storage.sql_store import SqlTranscriptStore, schema_version, upgrade, upgrade_now
from tests.cli_process import run_coach


@pytest_asyncio.fixture(params=["files", "sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "files":
        yield TranscriptStore(tmp_path / "data")
        return
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'interviews.db'}"
    else:
        url = request.getfixturevalue("postgres")
    database = SqlTranscriptStore(url)
    yield database
    if request.param == "postgresql":  # one server for the module: leave it empty for the next test
        async with database.engine.begin() as conn:
            from sqlalchemy import text

            await conn.execute(text("DELETE FROM coach_interviews"))
            await conn.execute(text("DELETE FROM coach_feedback"))
    await database.close()


def _interview(owner: str | None = "alice") -> Transcript:
    t = Transcript(owner=owner)
    t.add_turn(Role.INTERVIEWER, "Review the AI's answer.", TurnKind.QUESTION)
    return t


async def test_a_save_names_the_revision_it_read(store: Any) -> None:
    t = _interview()
    await store.save(t)
    assert t.revision == 1
    first = await store.get(t.id)
    second = await store.get(t.id)
    first.add_turn(Role.CANDIDATE, "Call 999 now.", TurnKind.ANSWER)
    await store.save(first)
    second.add_turn(Role.CANDIDATE, "Something else.", TurnKind.ANSWER)
    with pytest.raises(ConflictError):
        await store.save(second)  # read before the first tab saved: refused, nothing overwritten
    assert second.revision == 1  # unchanged, so the caller can re-read and retry
    kept = await store.get(t.id)
    assert [x.text for x in kept.turns][-1] == "Call 999 now." and kept.revision == 2


async def test_two_writers_of_one_revision_never_both_win(store: Any) -> None:
    t = _interview()
    await store.save(t)
    copies = [await store.get(t.id) for _ in range(6)]
    for n, c in enumerate(copies):
        c.add_turn(Role.CANDIDATE, f"answer {n}", TurnKind.ANSWER)
    results = await asyncio.gather(*(store.save(c) for c in copies), return_exceptions=True)
    wins = [r for r in results if r is None]
    assert len(wins) == 1 and all(isinstance(r, ConflictError) for r in results if r is not None)


async def test_another_users_interview_is_refused_and_lists_are_per_owner(store: Any) -> None:
    older, newer, bobs = _interview(), _interview(), _interview("bob")
    newer.updated_at = older.updated_at + timedelta(minutes=5)
    for t in (older, newer, bobs):
        await store.save(t)
    with pytest.raises(TranscriptError):
        await store.get(bobs.id, owner="alice")
    assert [t.id for t in await store.interviews("alice")] == [newer.id, older.id]
    assert {t.id for t in await store.interviews()} == {older.id, newer.id, bobs.id}


async def test_feedback_is_kept_and_replaced(store: Any, library: Any) -> None:
    from agents.judging.offline import OfflineJudge

    t = _interview()
    t.add_turn(Role.CANDIDATE, "The AI should tell her to call 999 now because this could be sepsis.", TurnKind.ANSWER)
    await store.save(t)
    assert await store.load_feedback(t.id) is None
    result = OfflineJudge(library).judge(t)
    await store.save_feedback(t.id, result)
    result.notes.append("second")
    await store.save_feedback(t.id, result)
    kept = await store.load_feedback(t.id)
    assert kept is not None and kept.notes[-1] == "second" and kept.scores == result.scores


async def test_restore_copies_as_it_is_and_never_overwrites(store: Any) -> None:
    t = _interview()
    t.revision = 7
    assert await store.restore(t)
    restored = await store.get(t.id)
    assert restored.model_dump() == t.model_dump()
    restored.add_turn(Role.CANDIDATE, "Call 999.", TurnKind.ANSWER)
    await store.save(restored)  # the kept revision is the one the copy carries: it saves on from there
    assert restored.revision == 8
    changed = t.model_copy(update={"owner": "mallory"})
    assert not await store.restore(changed)
    assert (await store.get(t.id)).owner == "alice"


async def test_migrations_apply_once(tmp_path: Path) -> None:
    database = SqlTranscriptStore(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    assert await schema_version(database.engine) is None
    await upgrade(database.engine)
    await upgrade(database.engine)  # already there: nothing to do
    assert await schema_version(database.engine) == "0004"
    upgrade_now(f"sqlite:///{tmp_path / 'm.db'}")  # at start, from synchronous code: also nothing to do
    from sqlalchemy import inspect

    async with database.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    # Chainlit's history beside the interviews, and what every instance must share.
    assert {"threads", "steps", "elements", "users", "feedbacks"} <= tables
    assert {"coach_interviews", "coach_feedback", "coach_revocations", "coach_partial_judgements"} <= tables
    assert {"coach_users", "coach_login_failures"} <= tables
    await database.close()


def test_export_and_import_move_interviews_losslessly(tmp_path: Path) -> None:
    """A folder of interviews goes into the database and back out unchanged, feedback included;
    the terminal then resumes one of them from another working folder."""
    source = tmp_path / "old"
    started = run_coach(
        ["interview", "--scenarios", "2", "--probes", "0", "--seed", "1"],
        tmp_path,
        stdin="",
        COACH_DATA_DIR=str(source),
        COACH_STORE="files",  # a folder of files, as the file store (and versions before the database) keep it
    )
    assert started.returncode == 0, started.stderr
    finished = run_coach(
        ["interview", "--scenarios", "1", "--probes", "0", "--seed", "2"],
        tmp_path,
        stdin="The AI should tell her to call 999 now.\n",
        COACH_DATA_DIR=str(source),
        COACH_STORE="files",
    )
    assert finished.returncode == 0, finished.stderr
    db = {"COACH_DATA_DIR": str(tmp_path / "data"), "COACH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'i.db'}"}
    done = run_coach(["import", str(source)], tmp_path, **db)
    assert done.returncode == 0 and "2 interview(s) copied" in done.stdout, done.stderr
    again = run_coach(["import", str(source)], tmp_path, **db)
    assert "0 interview(s) copied" in again.stdout and "2 already there" in again.stdout
    out = tmp_path / "out"
    assert run_coach(["export", str(out)], tmp_path, **db).returncode == 0
    for name in ("transcripts", "reports"):
        before = {p.name: p.read_text() for p in (source / name).glob("*.json")}
        after = {p.name: p.read_text() for p in (out / name).glob("*.json")}
        assert before and before.keys() == after.keys()
        for key in before:  # the same JSON (files may differ in indentation only)
            import json

            assert json.loads(before[key]) == json.loads(after[key]), key


async def test_an_interview_begun_in_the_browser_resumes_in_the_terminal(tmp_path: Path, library: Any) -> None:
    """The browser's service and the terminal share the database: an unfinished interview begun
    through one carries on in the other, from any working folder."""
    from agents.config import load_settings
    from agents.interview.service import InterviewService
    from agents.storage.factory import make_repository

    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    settings = load_settings(coach_data_dir=tmp_path / "browser-data", coach_database_url=url)
    repository = make_repository(settings)
    assert isinstance(repository, SqlTranscriptStore)
    conv = InterviewService(settings, library, repository).conversation()
    _ = [ev async for ev in conv.start({"scenarios": 2, "probes": 0})]
    _ = [ev async for ev in conv.answer("The AI should tell her to call 999 now, because this could be sepsis.")]
    begun = conv.transcript_id
    await repository.close()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    resumed = await asyncio.to_thread(
        run_coach,
        ["interview", "--resume"],
        elsewhere,
        stdin="Nothing more to add.\n",
        COACH_DATA_DIR=str(elsewhere / "data"),
        COACH_DATABASE_URL=url,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming interview {begun}: 1 answer(s) saved" in resumed.stdout
    assert "## Feedback" in resumed.stdout


def test_the_database_command_names_a_bad_url(tmp_path: Path) -> None:
    done = run_coach(["db", "upgrade"], tmp_path, COACH_DATABASE_URL="nosuchdriver://x:secretpw@h/db")
    assert done.returncode == 2 and "COACH_DATABASE_URL" in done.stderr and "secretpw" not in done.stderr


def test_postgres_server_is_real(postgres: str) -> None:
    """The fixture is a real server (not a stand-in): it answers with its version."""
    import asyncpg

    async def version() -> str:
        conn = await asyncpg.connect(postgres.replace("+asyncpg", ""))
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    assert asyncio.run(version())[:2].isdigit()
    time.sleep(0)
