"""The real model path (openai mode) against a loopback OpenAI-compatible server: streaming,
structured output with the best method the server supports, `coach doctor`, faults, secrets."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from agents.config import load_settings
from agents.domain.feedback import JudgeKind
from agents.domain.library import PromptLibrary
from agents.domain.transcript import InterviewConfig, Role
from agents.interview.doctor import diagnose, run_doctor
from agents.interview.session import InterviewSession, MessageDone, MessageStarted, Token
from agents.storage.file_store import TranscriptStore
from evals.stub import StubConfig, StubServer
from tests.figures import FIGURES

FAKE_KEY = "sk-test-LEAKCHECK-0123456789abcdefXYZ"
ANSWERS = [
    "I'd get them seen.",
    "The AI should tell them to call 999 now because this could be a heart attack.",
    "The AI should not give a dose; it should first ask about kidney function.",
    "Same threshold as before.",
    "As I said earlier, red flags mean 999 in both cases.",
    "Nothing to add.",
]


def _use(stub: StubServer, monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("COACH_MODEL", "stub-model")
    for k, v in env.items():
        monkeypatch.setenv(k, v)


async def _interview(library: PromptLibrary, store: TranscriptStore, seed: int) -> tuple[InterviewSession, int, int]:
    settings = load_settings()
    session = await InterviewSession.new(
        InterviewConfig(scenario_count=2, max_probes=1, seed=seed), settings=settings, library=library, store=store
    )
    tokens = 0
    streamed_probe_tokens = 0
    current = None
    async for ev in session.start():
        tokens += isinstance(ev, Token)
    answers = iter(ANSWERS)
    typed = 0
    while not session.finished:
        typed += 1
        async for ev in session.respond(next(answers, "Nothing more.")):
            if isinstance(ev, MessageStarted):
                current = ev.kind
            elif isinstance(ev, Token) and current is not None and current.value == "probe":
                streamed_probe_tokens += 1
            elif isinstance(ev, MessageDone):
                current = None
    await session.evaluate()
    return session, typed, streamed_probe_tokens


async def test_openai_mode_streams_probes_and_scores_with_json_schema(
    library: PromptLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StubServer() as stub:
        _use(stub, monkeypatch)
        session, _, probe_tokens = await _interview(library, TranscriptStore(tmp_path), seed=1)
        assert session.transcript.models["interviewer"] == "stub-model"
        assert probe_tokens > 3, "the probe arrives token by token"
        assert session.feedback is not None and session.feedback.judge_kind is JudgeKind.MODEL
        assert session.feedback.scores["scope"] == 1  # the stub judge marks B4 and F1
        judge_bodies = [b for b in stub.bodies if b.get("response_format")]
        assert judge_bodies and judge_bodies[-1]["response_format"]["type"] == "json_schema"
        assert judge_bodies[-1]["temperature"] == 0.0


@pytest.mark.parametrize(("schema", "json_mode", "expected"), [(False, True, "json_object"), (False, False, None)])
async def test_judge_steps_down_when_the_server_lacks_schema_support(
    library: PromptLibrary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    schema: bool,
    json_mode: bool,
    expected: str | None,
) -> None:
    with StubServer(StubConfig(json_schema=schema, json_object=json_mode)) as stub:
        _use(stub, monkeypatch)
        session, _, _ = await _interview(library, TranscriptStore(tmp_path), seed=2)
        assert session.feedback is not None and session.feedback.judge_kind is JudgeKind.MODEL
        last = [b for b in stub.bodies if "Score this transcript" in json.dumps(b.get("messages"))][-1]
        assert (last.get("response_format") or {}).get("type") == expected


async def test_doctor_reports_wrong_url_missing_model_and_schema_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    report = await diagnose(load_settings(), timeout=3)
    assert not report.usable and "cannot connect" in report.summary()

    with StubServer(StubConfig(models=["other-model"], json_schema=False)) as stub:
        _use(stub, monkeypatch)
        monkeypatch.setenv("COACH_MODEL", "missing-model")
        report = await diagnose(load_settings(), timeout=5)
        assert not report.usable and "'missing-model' is not on the server" in report.summary()
        assert "other-model" in report.summary()

        monkeypatch.setenv("COACH_MODEL", "other-model")
        out = io.StringIO()
        assert await run_doctor(load_settings(), out, timeout=5) == 0
        text = out.getvalue()
        assert "[ok] streaming" in text and "JSON mode only" in text and FAKE_KEY not in text


async def test_interviews_complete_under_thirty_percent_faults_and_lose_nothing(
    library: PromptLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = StubConfig(fault_rate=0.3, slow_seconds=2.0, retry_after="0", seed=11)
    with StubServer(config) as stub:
        _use(stub, monkeypatch, COACH_REQUEST_TIMEOUT="0.5")
        store = TranscriptStore(tmp_path)
        completed = lost = fallbacks = 0
        runs = 10
        for seed in range(runs):
            session, typed, _ = await _interview(library, store, seed=100 + seed)
            saved = store.load(session.transcript.id)
            kept = len([t for t in saved.turns if t.role is Role.CANDIDATE])
            lost += typed - kept
            completed += session.finished and session.feedback is not None
            fallbacks += session.feedback is not None and session.feedback.judge_kind is JudgeKind.FALLBACK
        injected = sum(stub.faults.values())
        FIGURES.append(
            f"fault injection: {completed}/{runs} interviews completed, {injected} faults injected in {stub.requests} "
            f"requests ({dict(stub.faults)}), answers lost {lost}, judge fallbacks {fallbacks}"
        )
        assert completed == runs and lost == 0
        assert injected >= 0.15 * stub.requests, "the stub must actually have injected faults"


async def test_no_secret_in_any_output(library: PromptLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with StubServer(StubConfig(fault_rate=0.2, seed=3, faults=("500", "429"))) as stub:
        _use(stub, monkeypatch)
        # The key is in the base URL too (as some proxies take it), so every place that shows or
        # saves the endpoint is exercised, not only the key variable.
        monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url.replace("http://", f"http://user:{FAKE_KEY}@"))
        store = TranscriptStore(tmp_path / "data")
        session, _, _ = await _interview(library, store, seed=5)
        from agents.reporting.report import to_html, to_json_line, to_markdown

        assert session.feedback is not None
        outputs = [to_markdown(session.feedback), to_html(session.feedback), to_json_line(session.feedback)]
        outputs += [p.read_text() for p in (tmp_path / "data").rglob("*") if p.is_file()]
        out = io.StringIO()
        await run_doctor(load_settings(), out, timeout=5)
        outputs.append(out.getvalue())
        outputs.append(json.dumps(load_settings().describe()))
        for text in outputs:
            assert FAKE_KEY not in text
        assert os.environ["OPENAI_API_KEY"] == FAKE_KEY
