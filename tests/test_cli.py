"""The `coach` command as users run it: a scripted interview over stdin, then replay of its transcript."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evals.dataset import default_rubric
from tests.cli_process import run_coach, saved_interviews

ROOT = Path(__file__).resolve().parent.parent

ANSWERS = "\n".join(
    [
        "I'd get them seen.",
        "The AI should tell them to call 999 now because this could be a heart attack.",
        "The AI should not give a dose; it should first ask about kidney function.",
        "Same threshold as before.",
        "As I said earlier, red flags mean 999 in both cases.",
        "Nothing to add.",
        "Nothing to add.",
    ]
)


_run = run_coach


def test_scripted_interview_probes_saves_and_replays(tmp_path: Path) -> None:
    # Kept as files, the saved interview is a file to replay (the database: `coach export` writes one).
    # UK scenarios, whatever the bank holds: the scripted answers name UK routes (999, A&E).
    done = _run(
        ["interview", "--scenarios", "2", "--seed", "7", "--setting", "uk"], tmp_path, ANSWERS, COACH_STORE="files"
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "offline mode" in out
    assert "Scenario 1 of 2" in out and "Scenario 2 of 2" in out
    assert out.count("Candidate:") >= 4
    assert "## Feedback" in out and "rule-based" in out
    saved = re.search(r"Transcript saved: (\S+)", out)
    assert saved, out[-500:]
    data = json.loads(Path(saved.group(1)).read_text())
    assert any(t["kind"] == "probe" for t in data["turns"]), "the implicit first answer should be probed"
    assert any(t["kind"] == "consistency" for t in data["turns"])

    replay = _run(["replay", saved.group(1), "--format", "json"], tmp_path, COACH_STORE="files")
    assert replay.returncode == 0, replay.stderr
    report = json.loads(replay.stdout.strip().splitlines()[0])
    assert report["source"] == saved.group(1)
    assert set(report["scores"]) == set(default_rubric().dimension_ids)
    assert report["judge"] == "offline" and report["rubric_version"] == default_rubric().version
    assert report["band"] in ("strong", "borderline", "needs_work")
    crit = report["dimensions"]["scope"]["criteria"]["B4"]
    assert crit["met"] and crit["evidence"][0]["turn"] >= 1


def test_replay_many_files_with_one_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Interviewer: Review it.\nCandidate: The AI should not diagnose. Call 999 now.\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("no labels here\n")
    done = _run(["replay", str(good), str(bad), "--format", "json"], tmp_path)
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert [line["source"] for line in lines] == [str(good), str(bad)]
    assert "scores" in lines[0] and "error" in lines[1]
    assert f"{bad}, line 1" in done.stderr and "Traceback" not in done.stderr


def test_replay_markdown_and_llm_without_endpoint(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Interviewer: Review it.\nCandidate: The AI should not diagnose. Call 999 now.\n")
    done = _run(["replay", str(good)], tmp_path)
    assert done.returncode == 0 and "## Feedback" in done.stdout
    llm = _run(["replay", str(good), "--judge", "llm"], tmp_path)
    assert llm.returncode == 2 and "OPENAI_API_KEY" in llm.stderr and "Traceback" not in llm.stderr


def test_bad_configuration_is_a_clear_message(tmp_path: Path) -> None:
    done = _run(["replay", "x.txt"], tmp_path, COACH_MODE="banana")
    assert done.returncode == 2
    assert "coach_mode" in done.stderr.lower() and "Traceback" not in done.stderr


Saved = Callable[[], list[dict[str, Any]]]


def _interview_killed_after_two_answers(folder: Path, saved: Saved, **env: str) -> list[str]:
    """Start `coach interview` in `folder`, SIGKILL it once two answers are saved (as `saved` reads
    them), and return the candidate answers the store holds after the kill."""
    import signal
    import time

    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
    full_env.update({"COACH_DATA_DIR": str(folder / "data"), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **env})
    proc = subprocess.Popen(
        [sys.executable, "-m", "agents.adapters.cli", "interview", "--scenarios", "2", "--seed", "3"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=folder,
        env=full_env,
        text=True,
    )
    assert proc.stdin is not None
    # Answers are read line by line as the interview goes; kill once two are stored.
    proc.stdin.write("\n".join(ANSWERS.splitlines()[:3]) + "\n")
    proc.stdin.flush()
    deadline = time.time() + 60
    answered: list[str] = []
    while time.time() < deadline:
        try:
            found = saved()
        except Exception:  # the store is being written this instant (SQLite locked, table not yet made)
            found = []
        if found:
            answered = _answers(found[0])
            if len(answered) >= 2:
                break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert len(answered) >= 2, "answers were not stored before the kill"
    (transcript,) = saved()  # still valid: writes are atomic (a rename, a transaction)
    assert transcript["status"] == "in_progress", "the kill came mid-interview"
    kept = _answers(transcript)
    assert kept[:2] == ANSWERS.splitlines()[:2]
    return kept


def _answers(transcript: dict[str, Any]) -> list[str]:
    return [t["text"] for t in transcript["turns"] if t["role"] == "candidate"]


@pytest.mark.parametrize("store", ["database", "files"])
def test_sigkill_mid_interview_then_resume_keeps_every_answer(tmp_path: Path, store: str) -> None:
    kept = _interview_killed_after_two_answers(tmp_path, lambda: saved_interviews(tmp_path / "data"), COACH_STORE=store)
    resumed = _run(["interview", "--resume"], tmp_path, "\n".join(ANSWERS.splitlines()[3:]), COACH_STORE=store)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming interview" in resumed.stdout and "## Feedback" in resumed.stdout
    (final,) = saved_interviews(tmp_path / "data")
    answers = _answers(final)
    assert answers[: len(kept)] == kept and len(answers) > len(kept)


def test_a_terminal_interview_on_postgresql_killed_resumes_from_another_folder(tmp_path: Path, postgres: str) -> None:
    """The terminal keeps interviews in the configured PostgreSQL, not in its working folder: one
    killed mid-interview in one folder carries on from another, with every answer it had saved."""
    import psycopg

    def in_database() -> list[dict[str, Any]]:
        with psycopg.connect(postgres.replace("+asyncpg", "")) as con:
            return [json.loads(body) for (body,) in con.execute("SELECT body FROM coach_interviews").fetchall()]

    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    try:
        kept = _interview_killed_after_two_answers(first, in_database, COACH_DATABASE_URL=postgres)
        resumed = run_coach(
            ["interview", "--resume"], second, stdin="\n".join(ANSWERS.splitlines()[3:]), COACH_DATABASE_URL=postgres
        )
        assert resumed.returncode == 0, resumed.stderr
        assert "Resuming interview" in resumed.stdout and "## Feedback" in resumed.stdout
        (final,) = in_database()
        assert final["status"] == "completed"
        answers = _answers(final)
        assert answers[: len(kept)] == kept and len(answers) > len(kept)
        assert not saved_interviews(second / "data") and not saved_interviews(first / "data")
    finally:  # the server is the module's: leave it empty for the next test
        with psycopg.connect(postgres.replace("+asyncpg", "")) as con:
            con.execute("DELETE FROM coach_interviews")
            con.execute("DELETE FROM coach_feedback")
