"""The terminal signs in like the browser: with login on, `coach interview` acts as the signed-in
user and sees only their interviews, and the login ends at logout, removal or a password change."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.cli_process import run_coach, saved_interviews

USERS = "alice:pw-alice-1,bob:pw-bob-1"


def coach(args: list[str], tmp_path: Path, stdin: str = "", users: str = USERS) -> subprocess.CompletedProcess[str]:
    return run_coach(args, tmp_path, stdin=stdin, COACH_AUTH_USERS=users, CHAINLIT_AUTH_SECRET="s" * 48)


def test_login_is_needed_and_a_wrong_password_is_refused(tmp_path: Path) -> None:
    done = coach(["interview", "--scenarios", "1"], tmp_path)
    assert done.returncode == 2 and "coach login" in done.stderr
    bad = coach(["login", "--user", "alice"], tmp_path, stdin="wrong\n")
    assert bad.returncode == 2 and "do not match" in bad.stderr
    assert not (tmp_path / "data" / "terminal-login.json").exists()


def test_each_user_sees_only_their_own_interviews(tmp_path: Path) -> None:
    assert coach(["login", "--user", "bob"], tmp_path, stdin="pw-bob-1\n").returncode == 0
    bobs = coach(["interview", "--scenarios", "1", "--probes", "0"], tmp_path, stdin="Call 999 now.\n")
    assert bobs.returncode == 0, bobs.stderr
    (saved,) = saved_interviews(tmp_path / "data")
    assert saved["owner"] == "bob"
    transcript_id = saved["id"]
    assert coach(["login", "--user", "alice"], tmp_path, stdin="pw-alice-1\n").returncode == 0
    theirs = coach(["interview", "--resume", transcript_id], tmp_path)
    assert theirs.returncode == 2 and "no such interview for this user" in theirs.stderr
    mine = coach(["interview", "--scenarios", "1", "--probes", "0"], tmp_path, stdin="Call 999 now.\n")
    assert mine.returncode == 0
    owners = sorted(t["owner"] for t in saved_interviews(tmp_path / "data"))
    assert owners == ["alice", "bob"]


def test_the_login_ends_on_a_password_change_removal_or_logout(tmp_path: Path) -> None:
    assert coach(["login", "--user", "alice"], tmp_path, stdin="pw-alice-1\n").returncode == 0
    changed = coach(["interview", "--scenarios", "1"], tmp_path, users="alice:pw-alice-2,bob:pw-bob-1")
    assert changed.returncode == 2 and "password changed" in changed.stderr
    removed = coach(["interview", "--scenarios", "1"], tmp_path, users="bob:pw-bob-1")
    assert removed.returncode == 2 and "no longer has access" in removed.stderr
    assert "Signed out alice" in coach(["logout"], tmp_path).stdout
    after = coach(["interview", "--scenarios", "1"], tmp_path)
    assert after.returncode == 2 and "coach login" in after.stderr


def test_with_login_off_every_interview_is_the_local_owners(tmp_path: Path) -> None:
    done = run_coach(["login", "--user", "alice"], tmp_path, stdin="x\n")
    assert done.returncode == 2 and "login is off" in done.stderr
    ok = run_coach(["interview", "--scenarios", "1", "--probes", "0"], tmp_path, stdin="Call 999 now.\n")
    assert ok.returncode == 0
