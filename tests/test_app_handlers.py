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

import app as app_adapter
from agents.config import load_settings
from agents.interview.service import MAX_REPLAY_FILES


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

    async def update_audio_connection(self, state: Any) -> None:
        self.events.append(("audio_connection", state))

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


def _make_app(**settings: Any) -> Any:
    """An app of the test's own, built by the factory (no module reload, no import-time globals)."""
    import app

    return app.create_app(load_settings(**settings))


@pytest.fixture
def app_module(tmp_path: Path) -> Iterator[Any]:
    coach = _make_app(coach_data_dir=tmp_path / "data")
    yield coach
    coach.service.close()


def _conversation() -> Any:
    import chainlit as cl

    import app

    return cl.user_session.get(app.KEY_CONVERSATION)


def _session() -> Any:
    conv = _conversation()
    return conv.session if conv is not None else None


def _refresh() -> None:
    """A page refresh: a fresh browser session, with nothing of the old connection."""
    import chainlit as cl

    import app

    cl.user_session.set(app.KEY_CONVERSATION, None)
    cl.user_session.set(app.KEY_TRANSCRIPT_ID, None)


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

    session = _session()
    assert session.transcript.config.profession == "pharmacist" and session.transcript.config.setting == "us"
    await app_module.on_end(cl.Action(name=app_adapter.ACTION_END, payload={}))
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
    assert _session() is None  # an upload does not start an interview


async def test_refresh_resumes_the_unfinished_interview(app_module: Any, ctx: RecordingEmitter) -> None:
    import chainlit as cl

    await app_module.on_message(cl.Message(content="start", type="user_message"))
    await app_module.on_message(cl.Message(content="The AI should call 999 now.", type="user_message"))
    transcript_id = cl.user_session.get(app_adapter.KEY_TRANSCRIPT_ID)
    _refresh()
    await app_module.on_chat_start()
    assert any("Welcome back" in m and "1 answer(s) saved" in m for m in ctx.messages())
    assert _session().transcript.id == transcript_id


async def test_a_message_sent_while_the_connection_opens_is_never_lost(
    app_module: Any, ctx: RecordingEmitter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    import chainlit as cl

    async def slow_check() -> None:  # an endpoint check that takes a while, as under load
        await asyncio.sleep(0.3)

    monkeypatch.setattr(app_module.service, "endpoint_problem", slow_check)
    opening = asyncio.create_task(app_module.on_chat_start())
    await asyncio.sleep(0.05)  # the page shows; the candidate starts at once
    await app_module.on_message(cl.Message(content="start", type="user_message"))
    await opening
    await app_module.on_message(cl.Message(content="The AI should call 999 now.", type="user_message"))
    shown = ctx.messages()
    assert not any("Welcome back" in m or "moved on" in m for m in shown), "the opening resumed its own interview"
    saved = await app_module.store.get(_session().transcript.id)
    assert [t.text for t in saved.candidate_turns] == ["The AI should call 999 now."]
    # However late an opening runs, a connection with an interview of its own never "resumes" it.
    assert [ev async for ev in _conversation().open()] == []


async def test_password_users_only_resume_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctx: RecordingEmitter
) -> None:
    monkeypatch.delenv("CHAINLIT_AUTH_SECRET", raising=False)
    import chainlit as cl

    module = _make_app(coach_data_dir=tmp_path / "data", coach_auth_users="alice:pw-a,bob:pw-b")
    try:
        assert (await module.password_auth("alice", "pw-a")).identifier == "alice"
        assert await module.password_auth("alice", "wrong") is None
        assert await module.password_auth("eve", "pw-a") is None
        ctx.session.user = cl.User(identifier="alice")  # what a login puts on the session
        await module.on_message(cl.Message(content="start", type="user_message"))
        await module.on_message(cl.Message(content="Call 999 now.", type="user_message"))
        alice_id = cl.user_session.get(app_adapter.KEY_TRANSCRIPT_ID)
        assert (await module.store.get(alice_id)).owner == "alice"

        ctx.session.user = cl.User(identifier="bob")
        _refresh()
        before = len(ctx.messages())
        await module.on_chat_start()
        assert not any("Welcome back" in m for m in ctx.messages()[before:]), "bob must not resume alice's interview"
        cl.user_session.set(app_adapter.KEY_TRANSCRIPT_ID, alice_id)
        await module.on_chat_resume({"id": "t", "metadata": {}})
        assert any("could not be opened" in m for m in ctx.messages()[before:])
    finally:
        module.service.close()
        _make_app(coach_data_dir=tmp_path / "data")  # login off again for the tests that follow


async def test_unusable_endpoint_is_explained_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ctx: RecordingEmitter
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-should-never-show-0123456789")
    module = _make_app(coach_data_dir=tmp_path / "data")
    try:
        await module.on_chat_start()
        shown = ctx.messages()
        assert any("model endpoint is not usable" in m and "cannot connect" in m for m in shown)
        assert not any("sk-test-should-never-show" in m for m in shown)
    finally:
        module.service.close()


async def test_two_tabs_never_lose_an_answer_silently(app_module: Any, ctx: RecordingEmitter) -> None:
    import chainlit as cl

    await app_module.on_message(cl.Message(content="start", type="user_message"))
    first_tab = _session()
    # A second tab opens the same unfinished interview from storage.
    second_tab = app_module.service.conversation()
    [ev async for ev in second_tab.open_interview(first_tab.transcript.id)]
    await app_module.on_message(cl.Message(content="Tab one: call 999 now.", type="user_message"))
    cl.user_session.set(app_adapter.KEY_CONVERSATION, second_tab)
    before = len(ctx.messages())
    await app_module.on_message(cl.Message(content="Tab two: see a GP.", type="user_message"))
    saved = await app_module.store.get(first_tab.transcript.id)
    answers = [t.text for t in saved.candidate_turns]
    assert answers == ["Tab one: call 999 now."], "the second tab overwrote the first"
    shown = "\n".join(ctx.messages()[before:])
    assert "moved on in another tab" in shown and "Tab two\\: see a GP" in shown  # shown back, escaped
    # The second tab now holds the latest copy and carries on from it.
    current = _session()
    await app_module.on_message(cl.Message(content="Tab two again: call 999.", type="user_message"))
    answers = [t.text for t in (await app_module.store.get(first_tab.transcript.id)).candidate_turns]
    assert answers == ["Tab one: call 999 now.", "Tab two again: call 999."], current


async def test_quoted_user_text_renders_as_text(app_module: Any, ctx: RecordingEmitter, tmp_path: Path) -> None:
    import chainlit as cl

    pixel = "![p](http://127.0.0.1:9/pixel.png)"
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"schema_version": pixel, "turns": []}))
    odd = tmp_path / "odd.txt"
    odd.write_text(
        "Interviewer: Review it.\nCandidate: The AI should not diagnose, because a missed sepsis "
        f"could kill this user {pixel} <script>alert(1)</script> [x](javascript:alert(1)).\n"
    )
    named = tmp_path / "n.txt"
    named.write_text("{oops")
    files = [
        cl.File(name="b.json", path=str(bad)),
        cl.File(name="odd.txt", path=str(odd)),
        cl.File(name=f"{pixel}.json", path=str(named)),
    ]
    await app_module.on_message(cl.Message(content="", elements=files, type="user_message"))
    shown = "\n".join(ctx.messages())
    assert "Could not read b.json" in shown
    for raw in ("![p](", "<script>", "[x](javascript"):
        assert raw not in shown, f"unescaped {raw!r} reached the chat"
    assert "\\!\\[p\\]\\(http" in shown  # still readable, as typed


async def test_bad_chat_settings_are_named_and_keep_the_interview(app_module: Any, ctx: RecordingEmitter) -> None:
    import chainlit as cl

    await app_module.on_message(cl.Message(content="start", type="user_message"))
    session = _session()
    for bad in (
        {"scenarios": 1000},
        {"scenarios": "abc"},
        {"probes": -1},
        {"scenarios": 2.5},
        {"scenarios": "nan"},
        {"probes": float("inf")},
        {"scenarios": [3]},
    ):
        before = len(ctx.messages())
        await app_module.on_settings_update(bad)
        said = "\n".join(ctx.messages()[before:])
        assert "must be a whole number" in said and "Nothing was changed" in said, bad
        assert _session() is session
        assert not session.finished, "a bad setting abandoned the interview"
    await app_module.on_settings_update({"scenarios": 2})
    assert session.finished and _session() is not session


async def test_replay_runs_off_the_event_loop_and_is_bounded(
    app_module: Any, ctx: RecordingEmitter, tmp_path: Path
) -> None:
    import asyncio
    import random

    import chainlit as cl

    words = "aspirin sepsis user pain child dose route fever rash warfarin kidney GP urgent breathless".split()
    rng = random.Random(7)
    # Many long answers (each within the judge's answer budget), so judging takes real CPU time.
    body = "\n".join(
        "Interviewer: And then?\nCandidate: "
        + " ".join(
            f"Point {n}: the AI should not {rng.choice(words)} because {rng.choice(words)} {rng.choice(words)}."
            for n in range(80)
        )
        for _ in range(40)
    )
    files = []
    for i in range(7):
        p = tmp_path / f"t{i}.txt"
        p.write_text(f"Interviewer: Review it.\n{body}\n")
        files.append(cl.File(name=f"t{i}.txt", path=str(p), mime="text/plain"))
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    # Judge one file first (not counted), so the workers are up and the prompts loaded.
    await app_module.on_message(cl.Message(content="", elements=files[:1], type="user_message"))
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    await app_module.on_message(cl.Message(content="", elements=files[1:3], type="user_message"))
    stop.set()
    await task
    # The loop kept running other users' work while the judge ran: it was not judging on the loop.
    assert ticks > 5000, ticks
    ctx.events.clear()
    await app_module.on_message(cl.Message(content="", elements=files, type="user_message"))
    shown = ctx.messages()
    assert sum(m.startswith("## Feedback") for m in shown) == MAX_REPLAY_FILES
    assert any("7 files were dropped" in m for m in shown)


async def test_a_pasted_scenario_is_interviewed_on_and_a_bad_one_named(app_module: Any, ctx: RecordingEmitter) -> None:
    import chainlit as cl

    bad = "My scenario:\ntitle: Only a title\n"
    await app_module.on_message(cl.Message(content=bad, type="user_message"))
    assert any("needs 'question'" in m for m in ctx.messages()) and _session() is None
    pasted = (
        "My scenario:\ntitle: Tinnitus on gentamicin\nquestion: Review the AI's answer.\n"
        "user_prompt: I started gentamicin two days ago and my ears ring.\n"
        "ai_answer: Ringing is usually harmless; try white noise.\n"
    )
    await app_module.on_message(cl.Message(content=pasted, type="user_message"))
    shown = "\n".join(ctx.messages())
    assert "Tinnitus on gentamicin" in shown and "I started gentamicin" in shown
    session = _session()
    assert session is not None and session.transcript.own_scenarios[0].title == "Tinnitus on gentamicin"


async def test_voice_handlers_record_show_the_draft_and_read_questions_aloud(
    tmp_path: Path, ctx: RecordingEmitter
) -> None:
    """The microphone and the read-aloud switch through Chainlit's own hooks: refused before an
    interview, a draft with actions after speaking, the answer counted when used, and each question
    after the switch is turned on sent as a WAV element that is not silence."""
    import shutil

    import chainlit as cl
    import numpy as np
    from chainlit.types import InputAudioChunk

    from agents.speech.engines import FakeTranscriber
    from tests.real_parts import require_real_part

    require_real_part(shutil.which("espeak-ng") is not None, "espeak-ng", "apt-get install espeak-ng")
    coach = _make_app(coach_data_dir=tmp_path / "data", coach_stt="fake")
    try:
        await coach.on_chat_start()
        assert await coach.on_audio_start() is False  # no interview yet: the button stays off
        assert any("Start an interview first" in m for m in ctx.messages())
        await coach.on_message(cl.Message(content="Start interview: nurse, uk, 1 scenarios", type="user_message"))
        assert await coach.on_audio_start() is True
        fake = FakeTranscriber(["The AI should tell her to call nine nine nine."])
        coach.service._transcribers = {True: fake, False: fake}
        _conversation().voice.begin()  # the engine chosen above is the fake one from here
        tone = (0.3 * np.sin(np.arange(24_000 * 2) / 24_000 * 2 * np.pi * 220) * 32767).astype("<i2").tobytes()
        for i in range(0, len(tone), 4800):
            await coach.on_audio_chunk(
                InputAudioChunk(isStart=i == 0, mimeType="pcm16", elapsedTime=i, data=tone[i : i + 4800])
            )
        await coach.on_audio_end()
        drafts = [d for e, d in ctx.events if e == "new_message" and "I heard" in (d.get("output") or "")]
        assert drafts and "999" in drafts[-1]["output"]
        assert not _session().transcript.candidate_turns

        await coach.on_settings_update({"read_aloud": True, "scenarios": 1, "setting": "uk", "profession": "nurse"})
        before = len(ctx.elements())
        await coach.on_use_heard(cl.Action(name=app_adapter.ACTION_USE_HEARD, payload={}))
        (turn,) = _session().transcript.candidate_turns
        assert turn.text == "The AI should tell her to call 999." and turn.spoken is not None
        assert any(m == "The AI should tell her to call 999." for m in ctx.messages("user_message"))
        audio = [e for e in ctx.elements()[before:] if e["type"] == "audio"]
        assert audio, "no question was read aloud"
        assert coach.service.preferences.get(None).read_aloud  # remembered for this user
        # The WAV the browser plays is the session's file: read it back and check it is speech.
        from agents.speech.audio import find_speech, read_audio, rms_level

        stored = ctx.session.files[audio[-1]["chainlitKey"]]["path"]
        samples = read_audio(Path(stored), max_bytes=50_000_000, max_seconds=600)
        assert rms_level(samples) > 0.02 and find_speech(samples).speaking_seconds > 1.0
    finally:
        coach.service.close()


async def test_realistic_voice_ends_on_silence_and_turns_the_microphone_off(
    tmp_path: Path, ctx: RecordingEmitter
) -> None:
    """Realistic profile: a 3-second silence after speech ends the answer, the app turns the
    browser's microphone off and says why, and what was heard counts at once, shown as the
    candidate's message."""
    import chainlit as cl
    import numpy as np
    from chainlit.types import InputAudioChunk

    from agents.speech.engines import FakeTranscriber

    ctx.session.chat_profile = "Realistic"
    coach = _make_app(coach_data_dir=tmp_path / "data", coach_stt="fake", coach_tts="off")
    try:
        await coach.on_chat_start()
        await coach.on_message(cl.Message(content="Start interview: nurse, uk, 1 scenarios", type="user_message"))
        fake = FakeTranscriber(["She needs nine nine nine now."])
        coach.service._transcribers = {True: fake, False: fake}
        assert await coach.on_audio_start() is True
        rate = 24_000
        t = np.arange(rate * 2) / rate
        speech = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes()
        quiet = bytes(rate * 2 * 4)  # four seconds of digital silence
        pcm = speech + quiet
        for i in range(0, len(pcm), 4800):
            await coach.on_audio_chunk(
                InputAudioChunk(isStart=i == 0, mimeType="pcm16", elapsedTime=i, data=pcm[i : i + 4800])
            )
        assert ("audio_connection", "off") in ctx.events
        assert any("3-second pause" in m for m in ctx.messages())
        assert "She needs 999 now." in ctx.messages("user_message")
        (turn,) = _session().transcript.candidate_turns
        assert turn.text == "She needs 999 now." and turn.spoken is not None
        await coach.on_audio_end()  # the browser's own stop afterwards changes nothing
        assert len(_session().transcript.candidate_turns) == 1
    finally:
        coach.service.close()
