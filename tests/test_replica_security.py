"""The security probes of a single app, behind the balancer: two instances on one PostgreSQL behind
nginx (as `coach deploy nginx` configures them), each instance reached in turn through nginx by
its affinity cookie. Foreign origins and hosts are refused, a crafted session id deletes nothing,
and two tabs of one user on different instances never lose an answer silently."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import socketio

from agents.domain.transcript import Role, Status
from benchmarks.candidates import user_message
from benchmarks.load import saved_in_database
from benchmarks.servers import NGINX, ROOT, App, http_request, nginx_server
from tests.real_parts import require_real_part

pytestmark = pytest.mark.slow
SECRET = "replica-secret-" + "y" * 40
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class Balanced:
    """Two running instances and nginx in front of them."""

    base: str
    instances: dict[str, App]
    postgres: str


@pytest.fixture(scope="module")
def balanced(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Balanced]:
    require_real_part(NGINX is not None, "nginx", "apt-get install nginx")
    root = tmp_path_factory.mktemp("balanced")
    env = {"COACH_AUTH_USERS": "alice:pw-alice-1,bob:pw-bob-22", "CHAINLIT_AUTH_SECRET": SECRET}
    env["COACH_DATABASE_URL"] = postgres
    apps = {name: App(root / name / "data", env={**env, "COACH_INSTANCE": name}) for name in ("a", "b")}
    for app in apps.values():
        app.start()
    try:
        addresses = {name: f"127.0.0.1:{app.port}" for name, app in apps.items()}
        with nginx_server(addresses, root / "nginx") as base:
            yield Balanced(base, apps, postgres)
    finally:
        for app in apps.values():
            app.kill()


def _login(balanced: Balanced, user: str, password: str) -> str:
    """The login cookie, from a login through nginx."""
    body = urllib.parse.urlencode({"username": user, "password": password}).encode()
    status, _, headers = http_request(balanced.base, "POST", "/login", {**FORM, "Origin": balanced.base}, body)
    assert status == 200, f"login of {user} through nginx refused ({status})"
    return str(headers.get("set-cookie")).split(";", 1)[0]


@dataclass
class Tab:
    """One browser tab on one instance (pinned by the affinity cookie): what it was shown."""

    balanced: Balanced
    instance: str
    cookie: str = ""
    shown: list[str] = field(default_factory=list)
    questions: int = 0
    client: socketio.AsyncClient | None = None

    async def open(self, origin: str | None = None, session_id: str | None = None) -> None:
        """Connect as a browser does (raises socketio's ConnectionError when refused)."""
        client = socketio.AsyncClient(reconnection=False)

        @client.on("new_message")  # type: ignore[untyped-decorator]
        async def new_message(step: dict[str, Any]) -> None:
            self.shown.append(str(step.get("output") or ""))

        @client.on("action")  # type: ignore[untyped-decorator]
        async def action(payload: dict[str, Any]) -> None:
            if payload.get("name") == "end_interview":  # offered with every question
                self.questions += 1

        cookies = "; ".join(c for c in (self.cookie, f"coach_instance={self.instance}") if c)
        await client.connect(
            self.balanced.base,
            socketio_path="/ws/socket.io",
            auth={"sessionId": session_id or str(uuid.uuid4()), "clientType": "webapp"},
            headers={"Origin": origin or self.balanced.base, "Cookie": cookies},
            transports=["websocket"],
            wait_timeout=15,
        )
        self.client = client
        await client.emit("connection_successful")

    async def send(self, text: str) -> None:
        """Type a message and send it."""
        assert self.client is not None
        await self.client.emit("client_message", user_message(text, "user"))

    async def until(self, what: str, seconds: float = 30.0) -> None:
        """Wait until something containing `what` was shown (or fail, showing what was)."""
        for _ in range(int(seconds * 10)):
            if any(what in s for s in self.shown):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.instance}: never shown {what!r}; shown: {[s[:80] for s in self.shown]}")

    async def until_questions(self, n: int, seconds: float = 30.0) -> None:
        """Wait until the n-th question was put."""
        for _ in range(int(seconds * 10)):
            if self.questions >= n:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.instance}: {self.questions} question(s), not {n}; shown: {self.shown[-3:]}")

    async def close(self) -> None:
        """Close the tab."""
        if self.client is not None:
            await self.client.disconnect()


def _served_by(balanced: Balanced, name: str) -> None:
    """Check that nginx sends a request with affinity cookie `name` to that instance (by /health)."""
    status, body, _ = http_request(balanced.base, "GET", "/health", {"Cookie": f"coach_instance={name}"})
    assert status == 200 and json.loads(body)["instance"] == name, body


@pytest.mark.parametrize("instance", ["a", "b"])
async def test_foreign_origins_and_hosts_are_refused_on_every_instance(balanced: Balanced, instance: str) -> None:
    _served_by(balanced, instance)
    cookie = _login(balanced, "alice", "pw-alice-1")
    port = urllib.parse.urlsplit(balanced.base).port
    for foreign in ("http://evil.example", f"http://127.0.0.1:{port + 1 if port else 1}"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await Tab(balanced, instance, cookie).open(origin=foreign)
    own = Tab(balanced, instance, cookie)
    await own.open()  # the address users opened, as nginx passes it on
    assert own.client is not None and own.client.connected
    await own.close()
    pinned = {"Cookie": f"coach_instance={instance}"}
    polling = "/ws/socket.io/?EIO=4&transport=polling"
    assert http_request(balanced.base, "GET", polling, {**pinned, "Origin": "http://evil.example"})[0] == 403
    status, body, _ = http_request(balanced.base, "GET", "/", {**pinned, "Host": "evil.example"})
    assert status == 403 and b"COACH_ALLOWED_ORIGINS" in body, "a rebinding Host got through nginx"
    logout = {**pinned, "Origin": "http://evil.example", "Cookie": f"{cookie}; coach_instance={instance}"}
    assert http_request(balanced.base, "POST", "/logout", {**logout, "Content-Length": "0"}, b"")[0] == 403


@pytest.mark.parametrize("instance", ["a", "b"])
async def test_a_crafted_session_id_deletes_nothing_on_every_instance(
    balanced: Balanced, instance: str, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("every transcript")
    cookie = _login(balanced, "bob", "pw-bob-22")
    for session_id in (str(victim), os.path.relpath(victim, ROOT / ".files"), str(victim) + "/."):
        tab = Tab(balanced, instance, cookie)
        try:
            await tab.open(session_id=session_id)
        except socketio.exceptions.ConnectionError:
            pass  # refused: what should happen
        else:
            assert tab.client is not None
            await tab.client.emit("clear_session")
            await asyncio.sleep(0.3)
            await tab.close()
            await asyncio.sleep(0.8)
            pytest.fail(f"instance {instance} accepted the session id {session_id!r}")
    assert (victim / "keep.txt").read_text() == "every transcript", "the folder was deleted"
    _served_by(balanced, instance)  # still up


async def test_two_tabs_on_two_instances_never_lose_an_answer_silently(balanced: Balanced) -> None:
    cookie = _login(balanced, "alice", "pw-alice-1")
    first, second = Tab(balanced, "a", cookie), Tab(balanced, "b", cookie)
    await first.open()
    await first.send("Start interview: doctor, uk, 2 scenarios")
    await first.until_questions(1)
    await second.open()  # the same unfinished interview, on the other instance
    await second.until("Welcome back")
    await second.until_questions(1)
    await first.send("Tab one on A: the AI should tell her to call 999 now, because sepsis can kill.")
    await first.until_questions(2)
    await second.send("Tab two on B: see a GP next week.")
    await second.until("moved on in another tab")
    await second.until("Tab two on B")  # what was typed, shown back so it can be sent again
    await second.until_questions(2)  # and the question the interview is at now
    saved = await saved_in_database(balanced.postgres)
    [interview] = [t for t in saved.get("alice", []) if t.status is Status.IN_PROGRESS]
    answers = [t.text for t in interview.turns if t.role is Role.CANDIDATE]
    assert answers == ["Tab one on A: the AI should tell her to call 999 now, because sepsis can kill."]
    await second.send("Tab two on B again: the AI should say 999 now.")
    await second.until_questions(3)
    saved = await saved_in_database(balanced.postgres)
    [interview] = [t for t in saved.get("alice", []) if t.id == interview.id]
    assert [t.text for t in interview.turns if t.role is Role.CANDIDATE][1:] == [
        "Tab two on B again: the AI should say 999 now."
    ], "the second tab, now up to date, could not carry on"
    await first.close()
    await second.close()
