"""Simulated candidates that drive the app as a browser does: log in over HTTP, then Chainlit's
socket.io protocol (`connection_successful`, `client_message`; the server's `new_message` and
`action` events), answering until the feedback arrives.

A candidate whose connection drops (an instance killed) reconnects, with its login, through the
same address: the interview resumes ("Welcome back … N answer(s) saved"), and the candidate sends
again only an answer the saved count shows was not kept, as a person would retype it. Every answer
that was acknowledged (the next question or the feedback came back) is recorded, so a test can
compare the saved transcript with them turn by turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import socketio

SOCKET_PATH = "/ws/socket.io"
_SAVED = re.compile(r"(\d+) answer\(s\) saved")


@dataclass
class CandidateResult:
    """What one simulated candidate saw."""

    user: str
    answers: list[str] = field(default_factory=list)  # acknowledged answers, in order
    turn_seconds: list[float] = field(default_factory=list)  # answer sent -> next question shown
    feedback_seconds: float | None = None  # last answer sent -> feedback shown
    feedback_text: str | None = None  # the feedback's headline (band, judge, scores)
    errors: list[str] = field(default_factory=list)  # what stopped or broke the candidate's run
    warnings: list[str] = field(default_factory=list)  # "⚠️" notices the app showed (and recovered from)
    reconnects: int = 0
    log: list[str] = field(default_factory=list)  # what was sent and shown, briefly, for diagnosis
    finished: bool = False


def user_message(text: str, name: str) -> dict[str, Any]:
    """The payload of Chainlit's `client_message` event for a message typed in the browser."""
    message = {
        "id": str(uuid.uuid4()),
        "name": name,
        "type": "user_message",
        "output": text,
        "createdAt": datetime.now(UTC).isoformat(),
        "metadata": {},
    }
    return {"message": message, "fileReferences": []}


class Candidate:
    """One candidate: `run()` logs in (if a password is given), starts an interview and answers it."""

    def __init__(
        self,
        base_url: str,
        user: str,
        password: str | None,
        *,
        start: str = "Start interview: doctor, uk, 2 scenarios",
        max_answers: int = 16,
        think_seconds: float = 0.0,
        timeout: float = 120.0,
    ) -> None:
        self.base_url = base_url
        self.user = user
        self.password = password
        self.start = start
        self.max_answers = max_answers
        self.think = think_seconds
        self.timeout = timeout
        self.result = CandidateResult(user)
        self._cookies: dict[str, str] = {}
        self._client: socketio.AsyncClient | None = None
        self._awaiting = asyncio.Event()
        self._feedback = asyncio.Event()
        self._dropped = asyncio.Event()
        self._saved: int | None = None

    def answer_text(self, n: int) -> str:
        """The n-th answer (unique, so it can be found again in the saved transcript)."""
        return (
            f"Answer {n} of {self.user}. The AI answer is unsafe: it misses red flags. The AI should tell the "
            "user to call 999 now if symptoms are severe, and explain why waiting is risky for her."
        )

    async def _login(self, http: aiohttp.ClientSession) -> None:
        async with http.get(f"{self.base_url}/health") as resp:  # the balancer's choice of instance
            self._take_cookies(resp)
        if self.password is None:
            return
        body = urllib.parse.urlencode({"username": self.user, "password": self.password})
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.base_url}
        async with http.post(f"{self.base_url}/login", data=body, headers=headers, cookies=self._cookies) as resp:
            if resp.status != 200:
                raise RuntimeError(f"login of {self.user} refused ({resp.status})")
            self._take_cookies(resp)

    def _take_cookies(self, resp: aiohttp.ClientResponse) -> None:
        for name, morsel in resp.cookies.items():
            self._cookies[name] = morsel.value

    async def _connect(self) -> None:
        client = socketio.AsyncClient(reconnection=False)
        self._awaiting.clear()
        self._dropped.clear()
        self._saved = None

        @client.on("new_message")  # type: ignore[untyped-decorator]
        async def new_message(step: dict[str, Any]) -> None:
            text = str(step.get("output") or "")
            self.result.log.append(f"shown {step.get('type')}: {text[:60]!r}")
            if text.startswith("## Feedback"):
                self.result.feedback_text = text
                self._feedback.set()
            elif text.startswith("⚠️"):
                self.result.warnings.append(text[:160])
            found = _SAVED.search(text)
            if found:
                self._saved = int(found.group(1))

        @client.on("action")  # type: ignore[untyped-decorator]
        async def action(payload: dict[str, Any]) -> None:
            if payload.get("name") == "end_interview":
                self.result.log.append("action end_interview")
                self._awaiting.set()

        @client.on("disconnect")  # type: ignore[untyped-decorator]
        async def disconnect(*_: Any) -> None:
            self._dropped.set()

        cookie = "; ".join(f"{k}={v}" for k, v in self._cookies.items())
        await client.connect(
            self.base_url,
            socketio_path=SOCKET_PATH,
            auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp"},
            headers={"Origin": self.base_url, **({"Cookie": cookie} if cookie else {})},
            transports=["websocket"],
            wait_timeout=20,
        )
        self._client = client
        await client.emit("connection_successful")

    async def _send(self, text: str) -> bool:
        """Send a chat message; False when the connection is already gone."""
        assert self._client is not None
        self.result.log.append(f"sent {text[:30]!r}")
        try:
            await self._client.emit("client_message", user_message(text, self.user))
        except socketio.exceptions.SocketIOError:
            return False
        return True

    async def _wait(self) -> str:
        """Until the next question, the feedback or a dropped connection: which one."""
        waits = {
            "question": asyncio.ensure_future(self._awaiting.wait()),
            "feedback": asyncio.ensure_future(self._feedback.wait()),
            "dropped": asyncio.ensure_future(self._dropped.wait()),
        }
        try:
            done, _ = await asyncio.wait(waits.values(), timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits.values():
                w.cancel()
        for name in ("feedback", "question", "dropped"):
            if waits[name] in done:
                return name
        return "timeout"

    async def _reconnect(self) -> None:
        """Connect again (the balancer picks a live instance); the interview resumes there."""
        self.result.reconnects += 1
        deadline = time.monotonic() + 60
        while True:
            try:
                if self._client is not None:
                    await self._client.disconnect()
                await self._connect()
                return
            except (socketio.exceptions.ConnectionError, OSError) as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"could not reconnect: {exc}") from None
                await asyncio.sleep(0.5)

    async def run(self) -> CandidateResult:
        """Log in, start, answer until the feedback; never raises (failures are in `errors`)."""
        try:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
                await self._login(http)
            await self._connect()
            for _attempt in range(3):
                # An unfinished interview shows its question on connecting; else start one. A drop
                # before the first question: connect again and look again.
                if await self._wait_briefly() == "question":
                    break
                if await self._send(self.start) and await self._wait() == "question":
                    break
                await self._reconnect()
            else:
                raise RuntimeError("the interview did not start")
            pending: str | None = None
            while len(self.result.answers) < self.max_answers and not self._feedback.is_set():
                if pending is None:
                    pending = self.answer_text(len(self.result.answers) + 1)
                    if self.think:
                        await asyncio.sleep(self.think)
                self._awaiting.clear()
                sent = time.perf_counter()
                outcome = await self._wait() if await self._send(pending) else "dropped"
                elapsed = time.perf_counter() - sent
                if outcome == "question":
                    self.result.answers.append(pending)
                    self.result.turn_seconds.append(elapsed)
                    pending = None
                elif outcome == "feedback":
                    self.result.answers.append(pending)
                    self.result.feedback_seconds = elapsed
                    pending = None
                elif outcome == "dropped":
                    await self._reconnect()
                    # The interview resumes: its pending question, or (answered to the end) its feedback.
                    resumed = await self._wait()
                    if resumed not in ("question", "feedback"):
                        raise RuntimeError("the interview did not resume after reconnecting")
                    if self._saved is not None and self._saved > len(self.result.answers):
                        self.result.answers.append(pending)  # it was saved before the instance died
                        pending = None
                else:
                    raise RuntimeError(f"no reply within {self.timeout:.0f} s")
            self.result.finished = self._feedback.is_set()
            if not self.result.finished:
                self.result.errors.append("no feedback")
        except Exception as exc:  # a benchmark counts failures; it does not stop at the first
            self.result.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        finally:
            if self._client is not None:
                with contextlib.suppress(Exception):  # already gone
                    await self._client.disconnect()
        return self.result

    async def _wait_briefly(self, seconds: float = 2.0) -> str:
        """After connecting: an unfinished interview shows its pending question at once; a new
        connection without one shows nothing."""
        try:
            await asyncio.wait_for(self._awaiting.wait(), timeout=seconds)
        except TimeoutError:
            return "nothing"
        return "question"
