"""Chainlit handlers called directly with a faked Chainlit context (no server): the same engine
behind the browser, rendered into messages, steps, actions and elements."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from chainlit.context import ChainlitContext, context_var
from chainlit.emitter import BaseChainlitEmitter
from chainlit.session import HTTPSession


class RecordingEmitter(BaseChainlitEmitter):
    """Keeps everything the app sends, as the browser would receive it."""

    def __init__(self, session: HTTPSession) -> None:
        super().__init__(session)
        self.events: list[tuple[str, Any]] = []

    async def emit(self, event: str, data: Any) -> None:
        self.events.append((event, data))

    async def send_step(self, step_dict: Any) -> None:
        self.events.append(("new_message", step_dict))

    async def update_step(self, step_dict: Any) -> None:
        self.events.append(("update_message", step_dict))

    async def stream_start(self, step_dict: Any) -> None:
        self.events.append(("stream_start", step_dict))

    async def send_token(self, id: str, token: str, is_sequence: bool = False, is_input: bool = False) -> None:
        self.events.append(("stream_token", {"id": id, "token": token}))

    async def send_element(self, element_dict: Any) -> None:
        self.events.append(("element", element_dict))

    def set_chat_settings(self, settings: Any) -> None:
        self.session.chat_settings = settings

    def messages(self, kind: str = "assistant_message") -> list[str]:
        final: dict[str, Any] = {}
        for event, data in self.events:
            if event in ("new_message", "update_message", "stream_start") and data.get("type") == kind:
                final[data["id"]] = data
        return [d["output"] for d in final.values()]

    def elements(self) -> list[dict[str, Any]]:
        return [d for e, d in self.events if e == "element"]


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    import importlib

    import app

    module = importlib.reload(app)  # settings and store follow this test's data folder
    yield module


@pytest_asyncio.fixture
async def ctx() -> Any:
    import chainlit.data as cl_data

    # Chainlit keeps one data layer per process; each test has its own event loop and data folder.
    cl_data._data_layer = None
    cl_data._data_layer_initialized = False
    session = HTTPSession(id=str(uuid.uuid4()), client_type="webapp", thread_id=str(uuid.uuid4()))
    session.chat_profile = "Practice"
    emitter = RecordingEmitter(session)
    token = context_var.set(ChainlitContext(session, emitter=emitter))
    try:
        yield emitter
    finally:
        context_var.reset(token)
        if cl_data._data_layer is not None:
            await cl_data._data_layer.engine.dispose()
        cl_data._data_layer = None
        cl_data._data_layer_initialized = False


async def test_start_answer_end_gives_chart_report_and_downloads(app_module: Any, ctx: RecordingEmitter) -> None:
    import chainlit as cl

    await app_module.on_chat_start()
    assert ctx.session.chat_settings["scenarios"] == 3
    await app_module.on_message(cl.Message(content="Start interview: pharmacist, us, 2 scenarios", type="user_message"))
    shown = ctx.messages()
    assert any("Offline mode (rule-based)" in m for m in shown)
    assert any("Scenario 1 of 2" in m and "**Question:**" in m for m in shown)

    await app_module.on_message(cl.Message(content="I'd get them seen.", type="user_message"))
    assert len(ctx.messages()) > len(shown)

    session = cl.user_session.get(app_module.KEY_SESSION)
    assert session.transcript.config.profession == "pharmacist" and session.transcript.config.setting == "us"
    await app_module.on_end(cl.Action(name=app_module.ACTION_END, payload={}))
    texts = ctx.messages()
    assert any(m.startswith("## Feedback") for m in texts)
    assert any("What you said, and what you left unsaid" in m for m in texts)
    assert any(d.get("name") == "Judge" for e, d in ctx.events if e == "new_message" and d.get("type") == "tool")
    kinds = {e["type"] for e in ctx.elements()}
    assert {"plotly", "file"} <= kinds
    names = [e["name"] for e in ctx.elements()]
    assert any(n.endswith("-transcript.json") for n in names) and any(n.endswith("-report.html") for n in names)


async def test_upload_replays_and_bad_upload_is_explained(
    app_module: Any, ctx: RecordingEmitter, tmp_path: Path
) -> None:
    import chainlit as cl

    good = tmp_path / "t.txt"
    good.write_text("Interviewer: Review it.\nCandidate: The AI should not diagnose. Call 999 now.\n")
    bad = tmp_path / "b.json"
    bad.write_text("{not json")
    files = [cl.File(name="t.txt", path=str(good), mime="text/plain"), cl.File(name="b.json", path=str(bad))]
    await app_module.on_message(cl.Message(content="", elements=files, type="user_message"))
    texts = ctx.messages()
    assert any(m.startswith("## Feedback") for m in texts)
    assert any("Could not read b.json" in m and "not valid JSON" in m for m in texts)
    assert cl.user_session.get(app_module.KEY_SESSION) is None  # an upload does not start an interview


async def test_refresh_resumes_the_unfinished_interview(app_module: Any, ctx: RecordingEmitter) -> None:
    import chainlit as cl

    await app_module.on_message(cl.Message(content="start", type="user_message"))
    await app_module.on_message(cl.Message(content="The AI should call 999 now.", type="user_message"))
    transcript_id = cl.user_session.get(app_module.KEY_TRANSCRIPT_ID)
    cl.user_session.set(app_module.KEY_SESSION, None)  # a page refresh starts a fresh browser session
    await app_module.on_chat_start()
    assert any("Welcome back" in m and "1 answer(s) saved" in m for m in ctx.messages())
    assert cl.user_session.get(app_module.KEY_SESSION).transcript.id == transcript_id


async def test_password_users_only_resume_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctx: RecordingEmitter
) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COACH_AUTH_USERS", "alice:pw-a,bob:pw-b")
    monkeypatch.delenv("CHAINLIT_AUTH_SECRET", raising=False)
    import importlib

    import chainlit as cl

    import app

    module = importlib.reload(app)
    try:
        assert module.password_auth("alice", "pw-a").identifier == "alice"
        assert module.password_auth("alice", "wrong") is None and module.password_auth("eve", "pw-a") is None
        ctx.session.user = cl.User(identifier="alice")  # what a login puts on the session
        await module.on_message(cl.Message(content="start", type="user_message"))
        await module.on_message(cl.Message(content="Call 999 now.", type="user_message"))
        alice_id = cl.user_session.get(module.KEY_TRANSCRIPT_ID)
        data = json.loads((tmp_path / "data" / "transcripts" / f"{alice_id}.json").read_text())
        assert data["owner"] == "alice"

        ctx.session.user = cl.User(identifier="bob")
        cl.user_session.set(module.KEY_SESSION, None)
        before = len(ctx.messages())
        await module.on_chat_start()
        assert not any("Welcome back" in m for m in ctx.messages()[before:]), "bob must not resume alice's interview"
        cl.user_session.set(module.KEY_TRANSCRIPT_ID, alice_id)
        await module.on_chat_resume({"id": "t", "metadata": {}})
        assert any("could not be opened" in m for m in ctx.messages()[before:])
    finally:
        monkeypatch.delenv("COACH_AUTH_USERS")
        importlib.reload(app)


async def test_unusable_endpoint_is_explained_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctx: RecordingEmitter
) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-should-never-show-0123456789")
    import importlib

    import app

    module = importlib.reload(app)
    try:
        await module.on_chat_start()
        shown = ctx.messages()
        assert any("model endpoint is not usable" in m and "cannot connect" in m for m in shown)
        assert not any("sk-test-should-never-show" in m for m in shown)
    finally:
        monkeypatch.delenv("OPENAI_BASE_URL")
        monkeypatch.delenv("OPENAI_API_KEY")
        importlib.reload(app)
