"""Deleting interviews from every copy: a user's own (browser and terminal), and retention
(COACH_RETENTION_DAYS) of everyone's old ones, with uploads and the eval cache; on the file store,
SQLite and PostgreSQL, never another user's."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from agents.adapters.retention import apply_retention, delete_interviews, history_database
from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import InterviewConfig, utc_now
from agents.errors import TranscriptError
from agents.interview.service import InterviewService
from agents.storage.factory import make_repository, prepare_store
from agents.storage.sql_store import sync_engine
from tests.cli_process import run_coach
from tests.test_app_handlers import RecordingEmitter, _make_app, ctx  # noqa: F401 - the fixture


@pytest.fixture(params=["files", "sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    extra: dict[str, Any] = {}
    if request.param == "sqlite":
        extra["coach_store"] = "database"
    elif request.param == "postgresql":
        import psycopg

        base = request.getfixturevalue("postgres")
        name = f"r{uuid.uuid4().hex[:12]}"
        with psycopg.connect(base.replace("+asyncpg", ""), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        extra["coach_database_url"] = base.rsplit("/", 1)[0] + f"/{name}"
    found = load_settings(coach_data_dir=tmp_path / "data", **extra)
    prepare_store(found)
    return found


async def _finish(service: InterviewService, owner: str | None, seed: int) -> str:
    conv = service.conversation(owner)
    [ev async for ev in conv.start_with(InterviewConfig(scenario_count=1, max_probes=0, seed=seed))]
    [ev async for ev in conv.answer("The AI should tell them to call 999 now.")]
    assert conv.session is not None and conv.session.finished
    return conv.session.transcript.id


def _thread(settings: Any, transcript_id: str) -> str:
    """A chat-history thread of this interview, as Chainlit keeps one (with a step)."""
    from agents.adapters.web.auth import make_data_layer

    make_data_layer(settings)  # the history's tables (SQLite in the data folder, or the database's)
    url = history_database(settings)
    assert url is not None
    thread = str(uuid.uuid4())
    engine = sync_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO threads (id, name, metadata) VALUES (:id, :name, :meta)"),
            {
                "id": thread,
                "name": "interview",
                "meta": json.dumps({"transcript_id": transcript_id, "chat_profile": "x"}),
            },
        )
        conn.execute(
            text('INSERT INTO steps (id, name, type, "threadId", streaming) VALUES (:id, :n, :t, :th, :s)'),
            {"id": str(uuid.uuid4()), "n": "You", "t": "user_message", "th": thread, "s": False},
        )
    engine.dispose()
    return thread


def _count(settings: Any, table: str, thread: str) -> int:
    url = history_database(settings)
    assert url is not None
    engine = sync_engine(url)
    column = "id" if table == "threads" else '"threadId"'
    with engine.connect() as conn:
        found = conn.scalar(text(f"SELECT count(*) FROM {table} WHERE {column} = :t"), {"t": thread})
    engine.dispose()
    return int(found or 0)


async def test_a_user_deletes_their_own_interviews_from_every_copy(settings: Any, library: PromptLibrary) -> None:
    service = InterviewService(settings, library, make_repository(settings))
    alice_1, alice_2 = await _finish(service, "alice", 1), await _finish(service, "alice", 2)
    bob = await _finish(service, "bob", 3)
    service.recordings.save(alice_1, b"RIFF....WAVE")
    await service.repository.save_part(alice_1, "k1", "{}")
    thread = _thread(settings, alice_1)
    other_thread = _thread(settings, bob)

    with pytest.raises(TranscriptError):
        await delete_interviews(service, settings, "alice", [bob])  # not hers: refused
    done = await delete_interviews(service, settings, "alice", [alice_1])
    assert done.interviews == [alice_1] and done.history_threads == 1
    with pytest.raises(TranscriptError):
        await service.repository.get(alice_1)
    assert await service.repository.load_feedback(alice_1) is None
    assert await service.repository.load_part(alice_1, "k1") is None
    assert not list((settings.coach_data_dir / "recordings").glob(f"{alice_1}/*"))
    assert _count(settings, "threads", thread) == 0 and _count(settings, "steps", thread) == 0
    # Everything else is where it was.
    assert (await service.repository.get(alice_2)).owner == "alice"
    assert (await service.repository.get(bob)).owner == "bob"
    assert _count(settings, "threads", other_thread) == 1

    everything = await delete_interviews(service, settings, "alice")
    assert everything.interviews == [alice_2]
    assert [t.id for t in await service.repository.interviews(None)] == [bob]


async def test_retention_deletes_what_is_older_than_the_limit_everywhere(
    settings: Any, library: PromptLibrary, tmp_path: Path
) -> None:
    service = InterviewService(settings, library, make_repository(settings))
    old, new = await _finish(service, "alice", 1), await _finish(service, "bob", 2)
    kept = await service.repository.get(old)
    await service.repository.delete(old)
    kept.updated_at = utc_now() - timedelta(days=40)
    await service.repository.restore(kept)  # as it was saved 40 days ago
    thread = _thread(settings, old)
    uploads = tmp_path / ".files"
    (uploads / str(uuid.uuid4())).mkdir(parents=True)
    (uploads / "fresh").mkdir()
    cache = settings.coach_data_dir / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "old.json").write_text("{}")
    (cache / "new.json").write_text("{}")
    past = time.time() - 40 * 86400
    for stale in [*(p for p in uploads.iterdir() if p.name != "fresh"), cache / "old.json"]:
        os.utime(stale, (past, past))

    assert await apply_retention(service, settings, uploads) is None, "no limit set: nothing deleted"
    limited = settings.model_copy(update={"coach_retention_days": 30.0})
    done = await apply_retention(service, limited, uploads)
    assert done is not None and done.interviews == [old]
    assert done.history_threads == 1 and done.uploads == 1 and done.cache_files == 1
    assert [t.id for t in await service.repository.interviews(None)] == [new]
    assert _count(settings, "threads", thread) == 0
    assert [p.name for p in uploads.iterdir()] == ["fresh"] and [p.name for p in cache.iterdir()] == ["new.json"]


async def test_deleting_in_the_browser_asks_first_and_refuses_another_users_id(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ctx: RecordingEmitter,  # noqa: F811 - the fixture
) -> None:
    import chainlit as cl

    import app as app_adapter

    answers: list[bool] = []

    async def reply(self: Any) -> Any:
        return {"payload": {"yes": answers.pop(0)}}

    monkeypatch.setattr(cl.AskActionMessage, "send", reply)
    coach: Any = _make_app(coach_data_dir=tmp_path / "data")
    try:
        await coach.on_message(cl.Message(content="Start interview: doctor, uk, 1 scenarios", type="user_message"))
        await coach.on_end(cl.Action(name=app_adapter.ACTION_END, payload={}))
        transcript_id = cl.user_session.get(app_adapter.KEY_TRANSCRIPT_ID)
        offered = [d for e, d in ctx.events if e == "action" and d["name"] == app_adapter.ACTION_DELETE]
        assert offered and offered[0]["payload"] == {"transcript_id": transcript_id}
        action = cl.Action(name=app_adapter.ACTION_DELETE, payload={"transcript_id": transcript_id})
        answers.append(False)
        await coach.on_delete(action)
        assert "Nothing was deleted" in ctx.messages()[-1]
        assert (await coach.store.get(transcript_id)).id == transcript_id
        # A forged id of someone else's interview.
        other = await coach.service.new_session(InterviewConfig(scenario_count=1), "mallory")
        answers.append(True)
        await coach.on_delete(cl.Action(name=app_adapter.ACTION_DELETE, payload={"transcript_id": other.transcript.id}))
        assert "Nothing was deleted" in ctx.messages()[-1]
        assert (await coach.store.get(other.transcript.id)).owner == "mallory"
        answers.append(True)
        await coach.on_delete(action)
        assert "Deleted 1 interview(s)" in ctx.messages()[-1]
        with pytest.raises(TranscriptError):
            await coach.store.get(transcript_id)
    finally:
        coach.service.close()


def test_the_terminal_deletes_and_applies_retention(tmp_path: Path) -> None:
    done = run_coach(["interview", "--scenarios", "1", "--probes", "0"], tmp_path, "Call 999 now.\n")
    assert done.returncode == 0, done.stderr
    none = run_coach(["retention"], tmp_path, "")
    assert none.returncode == 2 and "COACH_RETENTION_DAYS is not set" in none.stderr
    kept = run_coach(["retention"], tmp_path, "", COACH_RETENTION_DAYS="30")
    assert kept.returncode == 0 and "Deleted 0 interview(s)" in kept.stdout
    both = run_coach(["delete", "abc", "--all"], tmp_path, "")
    assert both.returncode == 2
    gone = run_coach(["delete", "--all"], tmp_path, "")
    assert gone.returncode == 0 and "Deleted 1 interview(s)" in gone.stdout
    assert not list((tmp_path / "data" / "transcripts").glob("*.json"))
