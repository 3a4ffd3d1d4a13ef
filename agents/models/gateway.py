"""The one seam every model call goes through.

`ModelGateway` wraps a LangChain chat model chosen by configuration (any provider `init_chat_model`
builds, see `providers`, or the scripted mock passed in as an instance) and adds what every call
needs: bounded retries with exponential backoff and jitter for transient errors only (honouring
Retry-After), streaming, JSON output with the best method the server supports, an optional disk
cache, and token/latency accounting. Every call, whatever the provider, goes through the chat
model's own `ainvoke`/`astream`. Offline mode has no model at all; asking for one there is a
configuration error.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import openai
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from agents.config import Mode, Settings
from agents.errors import ConfigurationError, ModelUnavailableError
from agents.models.fake import FakeChatModel
from agents.models.providers import build, chat_model_arguments, parse_model
from agents.security.files import atomic_write

Role = Literal["interviewer", "judge", "candidate"]
JsonMethod = Literal["json_schema", "json_object", "text"]

_KEY_LIKE = re.compile(r"\b(sk|pk|rk|key|api)[-_][A-Za-z0-9_\-]{12,}\b")


def scrub_secrets(text: str, settings: Settings | None = None) -> str:
    """Remove the configured key and anything shaped like an API key from text meant for people."""
    if settings is not None and settings.openai_api_key is not None:
        secret = settings.openai_api_key.get_secret_value()
        if secret:
            text = text.replace(secret, "[redacted key]")
    if settings is not None and settings.openai_base_url:
        # The URL itself can carry a key (user info or query string): show it redacted.
        text = text.replace(settings.openai_base_url.rstrip("/"), settings.shown_base_url.rstrip("/"))
    return _KEY_LIKE.sub("[redacted key]", text)


# Provider SDKs (openai, anthropic, ...) name their network failures alike.
_TRANSIENT_NAMES = frozenset({"APITimeoutError", "APIConnectionError", "ServiceUnavailableError", "TimeoutError"})


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK error carries (as `status_code`, or on its `response`), if any."""
    for holder in (exc, getattr(exc, "response", None)):
        code = getattr(holder, "status_code", None)
        if isinstance(code, int):
            return code
    return None


def is_retryable(exc: BaseException) -> bool:
    """Transient failures worth another attempt, from any provider: rate limits, server errors,
    timeouts, dropped connections."""
    if isinstance(
        exc,
        (
            openai.APITimeoutError,
            openai.APIConnectionError,
            httpx.TimeoutException,
            httpx.TransportError,
            asyncio.TimeoutError,
            ConnectionError,
            StreamInterruptedError,
        ),
    ):
        return True
    if type(exc).__name__ in _TRANSIENT_NAMES:
        return True
    status = status_of(exc)
    return status is not None and (status in (408, 409, 429) or status >= 500)


def format_unsupported(exc: BaseException) -> bool:
    """Whether an error is the server refusing the requested response format (and only that: a
    too-long prompt or a bad parameter is a 400 too, and stepping down would not help)."""
    if status_of(exc) not in (400, 422):
        return False
    text = f"{exc} {getattr(exc, 'body', '')}".lower()
    words = ("response_format", "response format", "json_schema", "json schema", "json_object", "grammar")
    return any(word in text for word in words)


class StreamInterruptedError(Exception):
    """A streamed reply stopped before it finished."""


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def make_wait(max_wait: float) -> Callable[[RetryCallState], float]:
    """Exponential backoff with jitter, or the server's Retry-After when it sends one; capped."""
    backoff = wait_exponential_jitter(multiplier=0.5, max=max_wait, jitter=0.5)

    def wait(state: RetryCallState) -> float:
        if max_wait <= 0:
            return 0.0
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after(exc)
        if hinted is not None:
            return min(hinted, max_wait)
        return float(min(backoff(state), max_wait))

    return wait


@dataclass
class CallStats:
    """Counts for one gateway: calls, cache hits, tokens, retries and per-call latency."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latencies: list[float] = field(default_factory=list)

    def merge(self, other: CallStats) -> None:
        """Add another gateway's counts to these."""
        self.calls += other.calls
        self.cache_hits += other.cache_hits
        self.retries += other.retries
        self.failures += other.failures
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.latencies.extend(other.latencies)


class ResponseCache:
    """Disk cache of model replies keyed by a hash of (model, messages, settings)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def key(model: str, messages: list[BaseMessage], params: dict[str, Any]) -> str:
        """Stable hash of everything that determines the reply."""
        payload = {
            "model": model,
            "messages": [[m.type, m.content] for m in messages],
            "params": params,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        """The cached reply, or None."""
        path = self.directory / f"{key}.json"
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["reply"])
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def put(self, key: str, reply: str) -> None:
        """Store a reply atomically."""
        atomic_write(self.directory / f"{key}.json", json.dumps({"reply": reply}).encode("utf-8"))


def build_chat_model(settings: Settings, role: Role) -> BaseChatModel:
    """The LangChain chat model for a role, chosen by COACH_MODE and COACH_MODEL (see `providers`).
    The only place models are built."""
    if settings.mode is Mode.MOCK:
        return FakeChatModel(role=role, model_name=f"mock-{role}")
    if settings.mode is Mode.OFFLINE:
        raise ConfigurationError("offline mode uses the rule-based coach; no model is configured")
    ref = parse_model(settings.judge_model if role == "judge" else settings.interviewer_model)
    arguments = chat_model_arguments(
        ref,
        settings,
        temperature=0.0 if role == "judge" else settings.coach_interviewer_temperature,
        max_tokens=settings.coach_judge_max_tokens if role == "judge" else settings.coach_interviewer_max_tokens,
        streaming=role != "judge",  # interviewer replies stream token by token; judge output is parsed whole
    )
    model: BaseChatModel = build(ref, arguments)
    return model


class ModelGateway:
    """All calls for one role. Swap mock/real by settings; nothing else changes."""

    def __init__(
        self,
        settings: Settings,
        role: Role,
        *,
        model: BaseChatModel | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.settings = settings
        self.role = role
        self.model = model if model is not None else build_chat_model(settings, role)
        ref = parse_model(settings.judge_model if role == "judge" else settings.interviewer_model)
        self.model_name = ref.label
        if settings.mode is Mode.MOCK:
            self.model_name = f"mock-{role}"
        self.cache = cache
        self.stats = CallStats()
        # The best JSON method to try first: a JSON schema where the provider takes OpenAI's
        # response_format (the mock does too), else plain text parsed tolerantly.
        takes_format = ref.provider.response_format or settings.mode is Mode.MOCK
        self.json_method: JsonMethod = "json_schema" if takes_format else "text"

    def _retrying(self) -> AsyncRetrying:
        def count(state: RetryCallState) -> None:
            self.stats.retries += 1

        return AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self.settings.coach_max_retries),
            wait=make_wait(self.settings.coach_retry_max_wait),
            before_sleep=count,
            reraise=True,
        )

    def _unavailable(self, exc: BaseException) -> ModelUnavailableError:
        self.stats.failures += 1
        detail = scrub_secrets(f"{type(exc).__name__}: {exc}", self.settings)
        if type(exc).__name__ == "LengthFinishReasonError" or "length limit" in str(exc):
            budget = "COACH_JUDGE_MAX_TOKENS" if self.role == "judge" else "COACH_INTERVIEWER_MAX_TOKENS"
            return ModelUnavailableError(
                f"The {self.role} model's reply was cut at its length limit ({budget}); it answered, "
                f"but not in full ({detail[:200]})."
            )
        return ModelUnavailableError(f"The {self.role} model could not be reached ({detail[:300]}).")

    def _account(self, message: BaseMessage, started: float) -> None:
        self.stats.calls += 1
        self.stats.latencies.append(time.perf_counter() - started)
        usage = getattr(message, "usage_metadata", None) or {}
        self.stats.prompt_tokens += int(usage.get("input_tokens", 0) or 0)
        self.stats.completion_tokens += int(usage.get("output_tokens", 0) or 0)

    async def complete(
        self, messages: list[BaseMessage], *, cache_messages: list[BaseMessage] | None = None, **params: Any
    ) -> str:
        """One reply as text, retried on transient errors. Raises ModelUnavailableError when out of tries.

        `cache_messages` stands in for `messages` in the cache key when the prompt carries a value
        that changes every run (the judge's random fence) but not the meaning of the request.
        """
        key = None
        if self.cache is not None:
            key = ResponseCache.key(self.model_name, cache_messages or messages, params)
            cached = self.cache.get(key)
            if cached is not None:
                self.stats.cache_hits += 1
                return cached
        try:
            async for attempt in self._retrying():
                with attempt:
                    started = time.perf_counter()
                    result = await self.model.ainvoke(messages, **params)
                    self._account(result, started)
        except Exception as exc:
            if params and format_unsupported(exc):
                raise  # the caller asks again in a simpler format
            raise self._unavailable(exc) from exc
        text = _text_of(result)
        if self.cache is not None and key is not None:
            self.cache.put(key, text)
        return text

    async def stream(self, messages: list[BaseMessage]) -> AsyncGenerator[str, None]:
        """Stream a reply token by token. Transient errors before the first token are retried;
        a stream cut after tokens were sent raises ModelUnavailableError so the caller can finish
        the message from its own text."""
        sent = False
        try:
            async for attempt in self._retrying():
                with attempt:
                    started = time.perf_counter()
                    pieces: list[str] = []
                    try:
                        async for chunk in self.model.astream(messages):
                            piece = _text_of(chunk)
                            if piece:
                                sent = True
                                pieces.append(piece)
                                yield piece
                    except Exception as exc:
                        if sent:
                            raise StreamInterruptedError(str(exc)) from exc
                        raise
                    self._account(AIMessage(content="".join(pieces)), started)
        except StreamInterruptedError as exc:
            raise self._unavailable(exc) from exc
        except Exception as exc:
            raise self._unavailable(exc) from exc

    async def complete_json(
        self,
        messages: list[BaseMessage],
        schema: dict[str, Any],
        name: str,
        *,
        cache_messages: list[BaseMessage] | None = None,
    ) -> str:
        """A reply meant to be JSON, asked for with the best method the server accepts:
        a JSON schema response format, else JSON mode, else plain text (parsed tolerantly later).

        The step down is decided on this request's own error, and only when the server says it does
        not support the format; the method that worked is then tried first next time."""
        method = self.json_method
        while True:
            params: dict[str, Any]
            if method == "json_schema":
                params = {"response_format": {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}}
            elif method == "json_object":
                params = {"response_format": {"type": "json_object"}}
            else:
                params = {}
            try:
                return await self.complete(messages, cache_messages=cache_messages, **params)
            except Exception as exc:
                # `complete` lets through only a refused format (with a format asked for); all else
                # arrives as ModelUnavailableError already.
                if isinstance(exc, ModelUnavailableError) or not format_unsupported(exc):
                    raise
                method = "json_object" if method == "json_schema" else "text"
                self.json_method = method


def _text_of(message: Any) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return str(content)


def system(text: str) -> SystemMessage:
    """A system message."""
    return SystemMessage(content=text)


def human(text: str) -> HumanMessage:
    """A user message."""
    return HumanMessage(content=text)


async def list_models(settings: Settings) -> list[str]:
    """Model ids the configured endpoint offers (GET /models)."""
    client = openai.AsyncOpenAI(
        api_key=(settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"),
        base_url=settings.openai_base_url,
        timeout=settings.coach_request_timeout,
        max_retries=0,
    )
    try:
        page = await client.models.list()
        return [m.id for m in page.data]
    finally:
        await client.close()
