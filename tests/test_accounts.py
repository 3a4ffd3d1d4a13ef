"""Accounts for a cohort: argon2id hashes in the database (SQLite and PostgreSQL), logins throttled
per user name on every instance, a password change or removal ends older logins, and an educator
sees their own cohort's progress, never another's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.adapters.accounts import Accounts
from agents.adapters.web.auth import token_policy
from agents.config import load_settings
from agents.errors import ConfigurationError
from agents.security.passwords import LoginThrottle, MemoryFailures, hash_password, verify_password
from agents.security.tokens import TokenRejected
from agents.storage.accounts import DatabaseFailures
from agents.storage.factory import prepare_store
from tests.cli_process import run_coach
from tests.test_app_handlers import RecordingEmitter, _make_app, ctx  # noqa: F401 - the fixture

SECRET = "accounts-secret-" + "z" * 40


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'accounts.db'}"
    else:
        base = request.getfixturevalue("postgres")
        # One server for the module: a database of each test's own.
        import psycopg

        name = f"t{abs(hash(str(tmp_path))) % 10**9}"
        with psycopg.connect(base.replace("+asyncpg", ""), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = base.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("COACH_DATABASE_URL", url)
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", SECRET)
    found = load_settings(coach_data_dir=tmp_path / "data")
    prepare_store(found)
    return found


def test_passwords_are_hashed_with_argon2id_and_checked() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password("not a hash", "anything")
    with pytest.raises(ValueError, match="at least 10"):
        hash_password("short")


def test_accounts_log_in_and_a_password_change_or_removal_ends_older_logins(settings: Any) -> None:
    accounts = Accounts(settings, cache_seconds=0)
    assert not accounts.enabled
    accounts.add("alice", "alice-password-1", cohort="c1")
    accounts.add("erin", "erin-password-1", role="educator", cohort="c1")
    assert accounts.enabled
    alice = accounts.authenticate("alice", "alice-password-1")
    assert alice is not None and alice.role == "candidate" and alice.cohort == "c1"
    assert accounts.authenticate("alice", "wrong-password") is None
    assert accounts.authenticate("nobody", "alice-password-1") is None

    policy = token_policy(settings, accounts)
    credential = accounts.credential("alice")
    assert credential is not None and credential.startswith("$argon2id$")
    claims = policy.claims("alice", credential)
    policy.check("alice", claims)
    accounts.set_password("alice", "alice-password-2")
    with pytest.raises(TokenRejected, match="password changed"):
        policy.check("alice", claims)
    assert accounts.authenticate("alice", "alice-password-2") is not None
    accounts.remove("alice")
    with pytest.raises(TokenRejected, match="no longer has access"):
        policy.check("alice", policy.claims("alice", "anything"))
    assert accounts.authenticate("alice", "alice-password-2") is None

    with pytest.raises(ConfigurationError, match="already an account"):
        accounts.add("erin", "another-password")
    with pytest.raises(ConfigurationError, match="needs the cohort"):
        accounts.add("ed", "ed-password-12", role="educator")
    with pytest.raises(ConfigurationError, match="at least 10"):
        accounts.add("bob", "short")
    with pytest.raises(ConfigurationError, match="user name"):
        accounts.add("bo:b", "bob-password-1")


def test_a_name_that_keeps_failing_is_refused_for_a_while_on_every_instance(settings: Any) -> None:
    clock = [1000.0]
    url = settings.coach_database_url.get_secret_value()
    one = LoginThrottle(DatabaseFailures(url), limit=3, window_seconds=60, clock=lambda: clock[0])
    other = LoginThrottle(DatabaseFailures(url), limit=3, window_seconds=60, clock=lambda: clock[0])
    for _ in range(2):
        one.failed("alice")
    other.failed("alice")  # a third failure, on another instance
    assert one.blocked("alice") and other.blocked("alice")
    assert not one.blocked("bob")
    clock[0] += 61  # the failures leave the window
    assert not one.blocked("alice")
    # Through the accounts: blocked means refused even with the right password.
    accounts = Accounts(settings.model_copy(update={"coach_login_attempts": 2}), cache_seconds=0)
    accounts.add("carol", "carol-password-1")
    assert accounts.authenticate("carol", "nope-1") is None
    assert accounts.authenticate("carol", "nope-2") is None
    assert accounts.authenticate("carol", "carol-password-1") is None, "a throttled name got in"


def test_memory_failures_count_on_one_machine() -> None:
    clock = [0.0]
    throttle = LoginThrottle(MemoryFailures(), limit=2, window_seconds=10, clock=lambda: clock[0])
    throttle.failed("a")
    throttle.failed("a")
    assert throttle.blocked("a")
    throttle.succeeded("a")
    assert not throttle.blocked("a")


def test_the_users_command_adds_lists_and_removes(tmp_path: Path) -> None:
    env = {"COACH_STORE": "database"}
    added = run_coach(["users", "add", "dana", "--cohort", "c9"], tmp_path, "dana-password-1\n", **env)
    assert added.returncode == 0, added.stderr
    listed = run_coach(["users", "list"], tmp_path, "", **env)
    assert "dana\tcandidate\tc9" in listed.stdout
    short = run_coach(["users", "add", "eve"], tmp_path, "short\n", **env)
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    files = run_coach(["users", "list"], tmp_path, "", COACH_STORE="files")
    assert files.returncode == 2 and "accounts are kept in the database" in files.stderr
    assert run_coach(["users", "add", "zoe"], tmp_path, "zoe-password-1\n", **env).returncode == 0
    # The terminal signs in with the account.
    login = run_coach(["login", "--user", "dana"], tmp_path, "dana-password-1\n", **env)
    assert login.returncode == 0, login.stderr
    removed = run_coach(["users", "remove", "dana"], tmp_path, "", **env)
    assert removed.returncode == 0
    progress = run_coach(["progress"], tmp_path, "", **env)
    assert progress.returncode == 2, "a removed account's terminal login still worked"


async def test_an_educator_sees_their_cohort_only(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ctx: RecordingEmitter,  # noqa: F811 - the fixture
) -> None:
    import chainlit as cl

    import app as app_adapter

    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", SECRET)
    settings = load_settings(coach_data_dir=tmp_path / "data", coach_store="database")
    prepare_store(settings)
    accounts = Accounts(settings)
    accounts.add("alice", "alice-password-1", cohort="c1")
    accounts.add("bob", "bob-password-12", cohort="c2")
    accounts.add("erin", "erin-password-1", role="educator", cohort="c1")
    coach: Any = _make_app(coach_data_dir=tmp_path / "data", coach_store="database")
    try:
        user = await coach.password_auth("erin", "erin-password-1")
        assert user is not None and user.metadata["role"] == "educator" and user.metadata["cohort"] == "c1"
        assert await coach.password_auth("erin", "wrong-password") is None
        for name in ("alice", "bob"):  # each candidate finishes an interview
            _set_user(await coach.password_auth(name, f"{name}-password-1" if name == "alice" else "bob-password-12"))
            await coach.on_chat_start()
            await coach.on_message(cl.Message(content="Start interview: doctor, uk, 1 scenarios", type="user_message"))
            await coach.on_end(cl.Action(name=app_adapter.ACTION_END, payload={}))
            await coach.on_cohort(cl.Action(name=app_adapter.ACTION_COHORT, payload={}))
            assert "Only an educator" in ctx.messages()[-1]
        _set_user(user)
        await coach.on_chat_start()
        assert any("You teach cohort **c1**" in m for m in ctx.messages())
        await coach.on_cohort(cl.Action(name=app_adapter.ACTION_COHORT, payload={}))
        shown = ctx.messages()[-1]
        assert shown.startswith("## Cohort c1") and "| alice | 1 |" in shown
        assert "bob" not in shown, "an educator saw another cohort's candidate"
    finally:
        coach.service.close()
        _make_app(coach_data_dir=tmp_path / "data")  # login off again for the tests that follow


def _set_user(user: Any) -> None:
    """A fresh browser session of `user` (as after logging in)."""
    import chainlit as cl
    from chainlit.context import context

    import app as app_adapter

    context.session.user = user  # what a login puts on the session
    cl.user_session.set(app_adapter.KEY_CONVERSATION, None)
    cl.user_session.set(app_adapter.KEY_TRANSCRIPT_ID, None)


def test_the_terminal_works_on_a_database_no_app_has_set_up_yet(tmp_path: Path) -> None:
    env = {"COACH_STORE": "database"}
    done = run_coach(["interview", "--scenarios", "1", "--probes", "0"], tmp_path, "Call 999 now.\n", **env)
    assert done.returncode == 0, done.stderr[-500:]
    assert "## Feedback" in done.stdout
    (tmp_path / "other").mkdir()
    (tmp_path / "third").mkdir()
    shown = run_coach(["progress"], tmp_path / "other", "", **env)  # a folder with no database at all
    assert shown.returncode == 0, shown.stderr[-500:]
    login = run_coach(["login", "--user", "x"], tmp_path / "third", "pw\n", **env)
    assert login.returncode == 2 and "login is off" in login.stderr
