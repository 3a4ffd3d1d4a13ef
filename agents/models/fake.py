"""The mock chat model: scripted replies for tests and demos, selected with COACH_MODE=mock.

Two ways to script it, per role ("interviewer", "judge", "candidate"):
- a reply queue: each call takes the next reply; an Exception in the queue is raised instead,
  which is how tests inject API failures;
- a handler: a callable that sees the messages sent and returns the reply.
With neither, it answers with a fixed, harmless default so that a mock-mode app still runs.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

Handler = Callable[[list[BaseMessage]], str]
Reply = str | BaseException


class MockScript:
    """Process-wide replies and handlers for the mock model, keyed by role."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Reply]] = {}
        self._handlers: dict[str, Handler] = {}
        self.calls: list[tuple[str, list[BaseMessage], dict[str, Any]]] = []

    def reset(self) -> None:
        """Forget all replies, handlers and recorded calls."""
        with self._lock:
            self._queues.clear()
            self._handlers.clear()
            self.calls.clear()

    def queue(self, role: str, replies: Sequence[Reply]) -> None:
        """Append replies (or exceptions to raise) for a role."""
        with self._lock:
            self._queues.setdefault(role, deque()).extend(replies)

    def handle(self, role: str, handler: Handler | None) -> None:
        """Answer every call for a role with `handler(messages)` once the queue is empty."""
        with self._lock:
            if handler is None:
                self._handlers.pop(role, None)
            else:
                self._handlers[role] = handler

    def calls_for(self, role: str) -> list[list[BaseMessage]]:
        """The message lists sent for a role, in order."""
        return [msgs for r, msgs, _ in self.calls if r == role]

    def next_reply(self, role: str, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        """Record the call and produce the reply (or raise the scripted exception)."""
        with self._lock:
            self.calls.append((role, list(messages), dict(kwargs)))
            queue = self._queues.get(role)
            reply: Reply | None = queue.popleft() if queue else None
            handler = self._handlers.get(role)
        if isinstance(reply, BaseException):
            raise reply
        if reply is not None:
            return reply
        if handler is not None:
            return handler(list(messages))
        return default_reply(role, messages)


MOCK_SCRIPT = MockScript()


_ONLY = re.compile(r"only these criteria: ([^()\n]+?) \(")
_LISTED = re.compile(r"^- (\S+) \(", re.M)


def requested_criteria(messages: Sequence[BaseMessage]) -> list[str]:
    """The criterion ids a judge prompt asks for: those named in the request, else every one the
    system prompt lists (so the mock follows whatever rubric is loaded)."""
    text = [str(m.content) for m in messages]
    for part in reversed(text):
        only = _ONLY.search(part)
        if only:
            return [c.strip() for c in only.group(1).split(",") if c.strip()]
    return _LISTED.findall(text[0]) if text else []


def default_reply(role: str, messages: Sequence[BaseMessage] = ()) -> str:
    """What an unscripted mock says: a neutral question, or a valid all-false judgement of the
    criteria the prompt asks for."""
    if role == "judge":
        wanted = requested_criteria(messages)
        return json.dumps(
            {"criteria": [{"id": c, "evidence": [], "reasoning": "mock judge", "met": False} for c in wanted]}
        )
    if role == "candidate":
        return "The AI should not diagnose; it should tell the user to call 999 now if the pain spreads to the arm."
    return "Could you say a little more about that?"


class FakeChatModel(BaseChatModel):
    """A LangChain chat model whose replies come from MOCK_SCRIPT. Streams word by word."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    role: str = "interviewer"
    model_name: str = "mock"

    @property
    def _llm_type(self) -> str:
        return "coach-mock"

    def _reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        return MOCK_SCRIPT.next_reply(self.role, messages, kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self._reply(messages, kwargs)
        usage = {"input_tokens": _count(messages), "output_tokens": len(text.split()), "total_tokens": 0}
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
        message = AIMessage(content=text, usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text = self._reply(messages, kwargs)
        for piece in _pieces(text):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        text = self._reply(messages, kwargs)
        for piece in _pieces(text):
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


def _count(messages: list[BaseMessage]) -> int:
    return sum(len(str(m.content).split()) for m in messages)
