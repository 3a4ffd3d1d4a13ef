"""Security probes against the real app (`chainlit run`, offline, on loopback), as an attacker would
send them: crafted socket.io session ids, foreign origins and hosts, oversized uploads, and login
tokens after logout, removal and a password change."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import stat
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from benchmarks.servers import ROOT, App, http_request

pytestmark = pytest.mark.slow


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    running = App(tmp_path / "data")
    running.start()
    yield running
    running.kill()


def _request(
    app: App, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, bytes, http.client.HTTPMessage]:
    return http_request(app.url, method, path, headers, body)


async def _socket(app: App, auth: dict[str, Any], headers: dict[str, str] | None = None) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(
        app.url,
        socketio_path="/ws/socket.io",
        auth=auth,
        headers=headers or {},
        transports=["websocket"],
        wait_timeout=10,
    )
    return client


async def _probe_deletion(app: App, session_id: str) -> bool:
    """Connect with `session_id`, ask Chainlit to clear the session, disconnect: was it accepted?"""
    try:
        client = await _socket(app, {"sessionId": session_id, "clientType": "webapp"})
    except socketio.exceptions.ConnectionError:
        return False
    await client.emit("connection_successful")
    await client.emit("clear_session")
    await asyncio.sleep(0.3)
    await client.disconnect()
    await asyncio.sleep(0.8)  # Chainlit clears the session on disconnect
    return True


@pytest.mark.parametrize("shape", ["absolute", "relative", "encoded-dot"])
async def test_crafted_session_id_deletes_nothing(app: App, tmp_path: Path, shape: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("every transcript")
    session_id = {
        "absolute": str(victim),
        "relative": os.path.relpath(victim, ROOT / ".files"),  # Chainlit keeps uploads in <app root>/.files
        "encoded-dot": str(victim) + "/.",
    }[shape]
    accepted = await _probe_deletion(app, session_id)
    assert victim.is_dir() and (victim / "keep.txt").read_text() == "every transcript", "the folder was deleted"
    assert not accepted, "a session id that is not a UUID was accepted"
    # The data folder survives too, and the app still answers.
    assert _request(app, "GET", "/health")[0] == 200


async def test_a_real_session_id_still_connects(app: App) -> None:
    client = await _socket(app, {"sessionId": str(uuid.uuid4()), "clientType": "webapp"})
    assert client.connected
    await client.disconnect()


async def test_foreign_origin_socket_is_refused_and_own_origin_is_not(app: App) -> None:
    auth = {"sessionId": str(uuid.uuid4()), "clientType": "webapp"}
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _socket(app, auth, {"Origin": "http://evil.example"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        await _socket(app, auth, {"Origin": f"http://127.0.0.1:{app.port + 1}"})
    own = await _socket(app, {**auth, "sessionId": str(uuid.uuid4())}, {"Origin": app.url})
    assert own.connected
    await own.disconnect()
    # Long-polling handshakes are checked too, not only websockets.
    status, _, _ = _request(app, "GET", "/ws/socket.io/?EIO=4&transport=polling", {"Origin": "http://evil.example"})
    assert status == 403


def test_rebinding_host_and_cross_site_posts_are_refused(app: App) -> None:
    status, body, _ = _request(app, "GET", "/", {"Host": f"evil.example:{app.port}"})
    assert status == 403 and b"COACH_ALLOWED_ORIGINS" in body
    assert _request(app, "GET", "/", {"Host": f"localhost:{app.port}"})[0] == 200
    status, _, _ = _request(app, "POST", "/logout", {"Origin": "http://evil.example", "Content-Length": "0"}, b"")
    assert status == 403


def test_allowed_origins_come_from_configuration(tmp_path: Path) -> None:
    app = App(tmp_path / "data", env={"COACH_ALLOWED_ORIGINS": "https://coach.example.org"})
    app.start()
    try:
        ok = _request(
            app,
            "GET",
            "/ws/socket.io/?EIO=4&transport=polling",
            {"Origin": "https://coach.example.org", "Host": "coach.example.org"},
        )
        assert ok[0] == 200
        assert _request(app, "GET", "/ws/socket.io/?EIO=4&transport=polling", {"Origin": app.url})[0] == 403
    finally:
        app.kill()


def test_oversized_upload_is_refused_before_it_is_read(app: App) -> None:
    declared = {"Content-Length": str(300 * 1024 * 1024), "Content-Type": "multipart/form-data; boundary=x"}
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.putrequest("POST", f"/project/file?session_id={uuid.uuid4()}")
    for k, v in declared.items():
        conn.putheader(k, v)
    conn.endheaders()
    conn.send(b"--x\r\n")  # the 300 MB never follow: the answer must not wait for them
    resp = conn.getresponse()
    assert resp.status == 413
    conn.close()
    # A chunked body with no declared length is cut off as it arrives.
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    chunk = b"A" * (1024 * 1024)
    conn.putrequest("POST", f"/project/file?session_id={uuid.uuid4()}")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.endheaders()
    head = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n'
        b"Content-Type: application/json\r\n\r\n"
    )
    conn.send(b"%x\r\n%s\r\n" % (len(head), head))
    try:
        for _ in range(8):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server may close the connection once the limit is passed
    assert conn.getresponse().status == 413
    conn.close()


def _login(app: App, user: str, password: str) -> str | None:
    body = urllib.parse.urlencode({"username": user, "password": password}).encode()
    status, _, headers = _request(app, "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded"}, body)
    if status != 200:
        return None
    cookie = headers.get("set-cookie") or ""
    token = cookie.split(";", 1)[0]
    assert token.startswith("access_token="), cookie
    return token


def _me(app: App, cookie: str) -> int:
    return _request(app, "GET", "/user", {"Cookie": cookie})[0]


def test_tokens_end_with_logout_removal_and_password_change(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"COACH_AUTH_USERS": "alice:pw-one,bob:pw-bob", "CHAINLIT_AUTH_SECRET": "s" * 64}
    app = App(data, env=env)
    app.start()
    try:
        first = _login(app, "alice", "pw-one")
        second = _login(app, "alice", "pw-one")
        bob = _login(app, "bob", "pw-bob")
        assert first and second and bob
        assert _me(app, first) == 200 and _me(app, second) == 200

        async def open_socket() -> socketio.AsyncClient:
            return await _socket(app, {"sessionId": str(uuid.uuid4()), "clientType": "webapp"}, {"Cookie": second})

        loop = asyncio.new_event_loop()
        live = loop.run_until_complete(open_socket())
        assert live.connected
        assert _request(app, "POST", "/logout", {"Cookie": first, "Content-Length": "0"}, b"")[0] == 200
        loop.run_until_complete(asyncio.sleep(1.5))
        assert not live.connected, "a socket opened with a revoked login stayed open"
        loop.run_until_complete(live.disconnect())
        loop.close()
        assert _me(app, first) == 401, "a token still works after logout"
        assert _me(app, second) == 401, "logout ends every login of that user"
        assert _me(app, bob) == 200, "another user's login is untouched"
        again = _login(app, "alice", "pw-one")
        assert again and _me(app, again) == 200, "logging in again works"
    finally:
        app.kill()
    # Password changed and bob removed: their old tokens stop working after the restart.
    app = App(data, env={**env, "COACH_AUTH_USERS": "alice:pw-two"})
    app.start()
    try:
        assert _me(app, again) == 401, "a token outlived a password change"
        assert _me(app, bob) == 401, "a token outlived the user's removal"
        fresh = _login(app, "alice", "pw-two")
        assert fresh and _me(app, fresh) == 200
    finally:
        app.kill()


def test_data_folder_and_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "transcripts").mkdir(parents=True, mode=0o755)
    data.chmod(0o755)
    old = data / "transcripts" / "abc123.json"
    old.write_text("{}")
    old.chmod(0o644)  # left by an older version
    app = App(data)
    app.start()
    try:
        assert _request(app, "GET", "/health")[0] == 200

        async def chat() -> None:  # a chat start makes Chainlit open its history database
            client = await _socket(app, {"sessionId": str(uuid.uuid4()), "clientType": "webapp"})
            await client.emit("connection_successful")
            await asyncio.sleep(2)
            await client.disconnect()

        asyncio.run(chat())
    finally:
        app.kill()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name == "interviews.db" for p in files)  # the interviews and the chat history
    loose = {str(p.relative_to(data)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files if p.stat().st_mode & 0o077}
    assert not loose, f"readable by others: {json.dumps(loose)}"
