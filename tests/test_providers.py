"""Any LangChain chat model by configuration: the model name picks the provider, one call path
serves them all, and errors name what to install or set. Ollama is driven for real, against a
loopback server speaking its API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from agents.config import Mode, load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import InterviewConfig
from agents.errors import ConfigurationError, ModelUnavailableError
from agents.interview.doctor import diagnose
from agents.interview.service import FeedbackReady, InterviewService, MessageDone
from agents.judging.model_judge import LLMJudge
from agents.models.fake import default_reply
from agents.models.gateway import ModelGateway, build_chat_model, format_unsupported, human, system
from agents.models.providers import OPENAI, PROVIDERS, parse_model
from agents.storage.file_store import TranscriptStore


def test_a_name_without_a_known_provider_keeps_its_meaning() -> None:
    for name in ("gpt-4o-mini", "qwen2.5:7b-instruct", "local", "claude-3-haiku", "openai:gpt-4o"):
        ref = parse_model(name)
        assert ref.provider is OPENAI, name
    assert parse_model("openai:gpt-4o").model == "gpt-4o"
    assert parse_model("qwen2.5:7b-instruct").model == "qwen2.5:7b-instruct"
    assert parse_model("ollama:qwen2.5:7b").provider is PROVIDERS["ollama"]
    assert parse_model("ollama:qwen2.5:7b").model == "qwen2.5:7b"
    assert parse_model("anthropic:claude-sonnet-4-5").label == "anthropic:claude-sonnet-4-5"


def test_the_model_name_alone_picks_the_provider_and_the_mode() -> None:
    ollama = load_settings(coach_model="ollama:llama3.1")
    assert ollama.mode is Mode.OPENAI  # a model mode, with no OpenAI key or URL
    model = build_chat_model(ollama, "judge")
    assert type(model).__name__ == "ChatOllama"
    assert model.model == "llama3.1" and model.num_predict == ollama.coach_judge_max_tokens  # type: ignore[attr-defined]
    assert model.temperature == 0.0  # type: ignore[attr-defined]
    anthropic = load_settings(coach_model="anthropic:claude-sonnet-4-5", coach_interviewer_temperature=0.3)
    chat = build_chat_model(anthropic, "interviewer")
    assert type(chat).__name__ == "ChatAnthropic" and chat.max_retries == 0  # type: ignore[attr-defined]
    assert chat.temperature == 0.3  # type: ignore[attr-defined]
    plain = load_settings(coach_model="qwen2.5:7b-instruct", openai_base_url="http://127.0.0.1:9/v1")
    assert type(build_chat_model(plain, "judge")).__name__ == "ChatOpenAI"
    assert load_settings(coach_model="qwen2.5:7b-instruct").mode is Mode.OFFLINE


def test_a_provider_not_installed_is_named_with_its_extra() -> None:
    settings = load_settings(coach_model="mistralai:mistral-small-latest")
    with pytest.raises(ConfigurationError, match=r"clinical-interview-coach\[mistral\]"):
        build_chat_model(settings, "judge")


async def test_the_doctor_names_a_missing_key_and_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    report = await diagnose(load_settings(coach_model="anthropic:claude-sonnet-4-5"), timeout=2)
    assert not report.usable and "needs ANTHROPIC_API_KEY" in report.summary()
    report = await diagnose(load_settings(coach_model="mistralai:mistral-small-latest"), timeout=2)
    assert not report.usable and "[mistral]" in report.summary()


def test_only_a_refused_format_steps_down() -> None:
    class Refused(Exception):
        status_code = 400

    assert format_unsupported(Refused("response_format json_schema is not supported"))
    assert not format_unsupported(Refused("This model's maximum context length is 8192 tokens"))
    assert not format_unsupported(Exception("response_format"))  # no HTTP status: not a server refusal


class OllamaStub:
    """A loopback server answering Ollama's /api/chat (NDJSON stream) like a small model would."""

    def __init__(self, faults: int = 0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.faults = faults
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                if stub.faults > 0:
                    stub.faults -= 1
                    self.send_response(503)
                    self.end_headers()
                    self.wfile.write(b'{"error": "loading model"}')
                    return
                text = stub.reply(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.end_headers()
                words = text.split(" ")
                for i, word in enumerate(words):
                    piece = word + (" " if i < len(words) - 1 else "")
                    line = {"model": body["model"], "message": {"role": "assistant", "content": piece}, "done": False}
                    self.wfile.write((json.dumps(line) + "\n").encode())
                last = {
                    "model": body["model"],
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "prompt_eval_count": 12,
                    "eval_count": len(words),
                }
                self.wfile.write((json.dumps(last) + "\n").encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def reply(body: dict[str, Any]) -> str:
        messages: list[BaseMessage] = [
            SystemMessage(content=m["content"]) if m["role"] == "system" else HumanMessage(content=m["content"])
            for m in body["messages"]
        ]
        if body.get("format"):  # the judge asks for its schema
            return default_reply("judge", messages)
        return "Who exactly could be harmed if the AI answered that way?"

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[OllamaStub]:
    stub = OllamaStub()
    monkeypatch.setenv("OLLAMA_HOST", stub.url)
    yield stub
    stub.close()


async def test_an_interview_runs_on_ollama_through_the_same_seam(
    ollama: OllamaStub, library: PromptLibrary, tmp_path: Path
) -> None:
    settings = load_settings(coach_model="ollama:llama-test", coach_data_dir=tmp_path, coach_retry_max_wait=0)
    service = InterviewService(settings, library, TranscriptStore(tmp_path))
    conv = service.conversation()
    config = InterviewConfig(scenario_count=1, max_probes=1, seed=2)
    events = [ev async for ev in conv.start_with(config)]
    events += [ev async for ev in conv.answer("I'd get them seen.")]
    probe = [ev.turn for ev in events if isinstance(ev, MessageDone)][-1]
    assert probe.kind.value == "probe" and "Who exactly could be harmed" in probe.text
    events = [ev async for ev in conv.answer("The AI should tell them to call 999 now.")]
    ready = next(ev for ev in events if isinstance(ev, FeedbackReady))
    assert ready.feedback.judge_kind.value == "model", ready.feedback.fallback_reason
    assert ready.feedback.judge == "ollama:llama-test"
    assert conv.session is not None and conv.session.transcript.models["interviewer"] == "ollama:llama-test"
    judge_calls = [r for r in ollama.requests if r.get("format")]
    assert judge_calls and judge_calls[0]["options"]["temperature"] == 0.0
    assert judge_calls[0]["options"]["num_predict"] == settings.coach_judge_max_tokens
    assert judge_calls[0]["format"]["type"] == "object"  # the verdict schema, as Ollama takes it
    streamed = [r for r in ollama.requests if not r.get("format")]
    assert streamed and all(r["stream"] for r in streamed)


async def test_transient_provider_errors_are_retried_and_then_reported(
    ollama: OllamaStub, library: PromptLibrary
) -> None:
    settings = load_settings(coach_model="ollama:llama-test", coach_retry_max_wait=0, coach_max_retries=3)
    ollama.faults = 2
    gateway = ModelGateway(settings, "interviewer")
    text = "".join([p async for p in gateway.stream([system("Ask one question."), human("Go.")])])
    assert text.startswith("Who exactly") and gateway.stats.retries == 2
    ollama.faults = 5
    with pytest.raises(ModelUnavailableError, match="interviewer model could not be reached"):
        await gateway.complete([system("Ask."), human("Go.")])
    judge = LLMJudge(settings, library)
    assert judge.gateway.json_method == "json_schema"
