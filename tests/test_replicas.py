"""Several instances on one PostgreSQL behind nginx, as `coach deploy nginx` configures it (real
servers from Debian's packages, started here): candidates driven through Chainlit's socket.io
protocol, one instance killed mid-interview, every answered turn still saved and every interview
finished on the other; logins ended on one instance end on all; /health names its storage."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from agents.config import load_settings
from agents.domain.transcript import Role
from agents.errors import ConfigurationError
from benchmarks.candidates import Candidate
from benchmarks.load import saved_in_database
from benchmarks.servers import NGINX, App, http_request, nginx_server, postgres_available, postgres_server
from tests.real_parts import require_real_part

pytestmark = pytest.mark.slow
SECRET = "replica-secret-" + "x" * 40


def _require_nginx() -> None:
    require_real_part(NGINX is not None, "nginx", "apt-get install nginx")


def _users(n: int) -> str:
    return ",".join(f"u{i}:pw-{i}" for i in range(n))


def test_an_instance_killed_mid_interview_loses_no_answer(postgres: str, tmp_path: Path) -> None:
    _require_nginx()
    n = 12
    env = {"COACH_AUTH_USERS": _users(n), "CHAINLIT_AUTH_SECRET": SECRET, "COACH_DATABASE_URL": postgres}
    a = App(tmp_path / "a" / "data", env={**env, "COACH_INSTANCE": "a"})
    b = App(tmp_path / "b" / "data", env={**env, "COACH_INSTANCE": "b"})
    a.start()
    b.start()
    try:
        with nginx_server({"a": f"127.0.0.1:{a.port}", "b": f"127.0.0.1:{b.port}"}, tmp_path / "nginx") as base:

            async def drive() -> list[Any]:
                candidates = [Candidate(base, f"u{i}", f"pw-{i}", think_seconds=0.4) for i in range(n)]
                tasks = [asyncio.create_task(c.run()) for c in candidates]
                deadline = time.monotonic() + 90
                # Kill A once every candidate is under way (two answers acknowledged), mid-interview.
                while time.monotonic() < deadline and min(len(c.result.answers) for c in candidates) < 2:
                    await asyncio.sleep(0.1)
                a.kill()
                return list(await asyncio.gather(*tasks))

            results = asyncio.run(drive())
    finally:
        a.kill()
        b.kill()
    problems = {r.user: r.errors + r.warnings for r in results if r.errors or r.warnings or not r.finished}
    assert not problems, f"candidates failed: {json.dumps(problems)[:1500]}"
    assert sum(r.reconnects for r in results) >= 1, "no candidate was on the killed instance"
    assert any(r.reconnects == 0 for r in results), "every candidate was on one instance: nginx did not balance"
    saved = asyncio.run(saved_in_database(postgres))
    for r in results:
        interviews = saved.get(r.user, [])
        assert len(interviews) == 1, f"{r.user}: {len(interviews)} interviews saved"
        answers = [t.text for t in interviews[0].turns if t.role is Role.CANDIDATE]
        assert answers == r.answers, f"{r.user}: the saved answers differ turn by turn from those acknowledged"


def test_a_logout_on_one_instance_ends_the_login_on_every_instance(postgres: str, tmp_path: Path) -> None:
    env = {"COACH_AUTH_USERS": "alice:pw-a,bob:pw-b", "CHAINLIT_AUTH_SECRET": SECRET, "COACH_DATABASE_URL": postgres}
    a = App(tmp_path / "a" / "data", env={**env, "COACH_INSTANCE": "a"})
    b = App(tmp_path / "b" / "data", env={**env, "COACH_INSTANCE": "b"})
    a.start()
    b.start()
    try:
        form = {"Content-Type": "application/x-www-form-urlencoded"}

        def login(app: App, user: str, password: str) -> str:
            body = urllib.parse.urlencode({"username": user, "password": password}).encode()
            status, _, headers = http_request(app.url, "POST", "/login", form, body)
            assert status == 200
            return str(headers.get("set-cookie")).split(";", 1)[0]

        alice, bob = login(a, "alice", "pw-a"), login(a, "bob", "pw-b")
        assert http_request(b.url, "GET", "/user", {"Cookie": alice})[0] == 200, "a login from A works on B"
        assert http_request(b.url, "POST", "/logout", {"Cookie": alice, "Content-Length": "0"}, b"")[0] == 200
        time.sleep(1.5)  # each instance re-reads the shared revocations at most a second late
        assert http_request(a.url, "GET", "/user", {"Cookie": alice})[0] == 401, "logout on B left the login valid on A"
        assert http_request(b.url, "GET", "/user", {"Cookie": alice})[0] == 401
        assert http_request(a.url, "GET", "/user", {"Cookie": bob})[0] == 200, "another user's login is untouched"
    finally:
        a.kill()
        b.kill()


def test_health_names_the_instance_and_its_database(tmp_path: Path) -> None:
    require_real_part(postgres_available(), "PostgreSQL's server", "apt-get install postgresql")
    with postgres_server() as url:
        app = App(tmp_path / "data", env={"COACH_DATABASE_URL": url, "COACH_INSTANCE": "a"})
        app.start()
        try:
            status, body, headers = http_request(app.url, "GET", "/health")
            assert status == 200 and json.loads(body) == {"status": "ok", "instance": "a", "storage": "ok"}
            assert "coach_instance=a" in str(headers.get("set-cookie"))
            # Chainlit's history tables were made by the migrations, on PostgreSQL.
            tables = asyncio.run(_tables(url))
            assert {"threads", "steps", "coach_interviews", "coach_revocations"} <= tables
        except BaseException:
            app.kill()
            raise
    # The database is gone: the instance says so (and why, without the URL).
    try:
        status, body, _ = http_request(app.url, "GET", "/health")
        answer = json.loads(body)
        assert status == 503 and answer["status"] == "unhealthy" and "unreachable" in answer["storage"]
        assert "postgresql" not in body.decode()
    finally:
        app.kill()


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            return {str(r[0]) for r in rows}
    finally:
        await engine.dispose()


def test_login_on_a_database_server_needs_the_configured_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.adapters.web.auth import token_policy

    monkeypatch.setenv("COACH_AUTH_USERS", "alice:pw")
    monkeypatch.setenv("COACH_DATABASE_URL", "postgresql://coach@127.0.0.1:1/none")
    monkeypatch.delenv("CHAINLIT_AUTH_SECRET", raising=False)
    with pytest.raises(ConfigurationError, match="CHAINLIT_AUTH_SECRET must be set"):
        token_policy(load_settings())
    # SQLite is one machine's file: the secret kept in the data folder is enough there.
    monkeypatch.setenv("COACH_DATABASE_URL", "sqlite+aiosqlite:///interviews.db")
    assert token_policy(load_settings()) is not None


def test_json_logs_name_the_instance_and_interview_and_never_an_answer(postgres: str, tmp_path: Path) -> None:
    env = {
        "COACH_AUTH_USERS": "u0:pw-0",
        "CHAINLIT_AUTH_SECRET": SECRET,
        "COACH_DATABASE_URL": postgres.replace("coach@", "coach:db-password-123@"),
        "COACH_INSTANCE": "a",
        "COACH_LOG_FORMAT": "json",
    }
    app = App(tmp_path / "data", env=env)
    app.start()
    try:
        result = asyncio.run(Candidate(app.url, "u0", "pw-0").run())
    finally:
        app.kill()
    assert result.finished and not result.errors
    log = (tmp_path / f"app-{app.port}.log").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["logger"] == "coach.interview"]
    assert [line["message"] for line in ours][:2] == ["interview started", "answer saved"]
    assert ours[-1]["message"] == "feedback ready" and ours[-1]["judge"] == "rule-based"
    interview = ours[0]["interview"]
    assert interview and all(line["interview"] == interview and line["instance"] == "a" for line in ours)
    assert sum(1 for line in ours if line["message"] == "answer saved") == len(result.answers)
    for answer in result.answers:
        assert answer[:40] not in log, "an answer's text reached the log"
    assert "db-password-123" not in log


def test_a_log_line_names_the_interview_served_and_hides_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from agents.adapters.logs import ContextFilter, JsonFormatter, serving

    record = logging.LogRecord("chainlit", logging.WARNING, __file__, 1, "failed for %s", ("key-abcdef123",), None)
    token = serving.set("abc123")
    try:
        assert ContextFilter("b", ["key-abcdef123"]).filter(record)
    finally:
        serving.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["interview"] == "abc123" and line["instance"] == "b" and line["level"] == "WARNING"
    assert line["message"] == "failed for [redacted]"
