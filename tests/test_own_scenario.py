"""Your own scenario: a YAML file with a title and a question (and optionally the user's prompt and
the AI's answer) is an interview, judged on the general criteria; bad files are named by field and line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.scenarios import load_own_scenario
from agents.domain.transcript import InterviewConfig, load_transcript
from agents.errors import DataError
from agents.interview.service import InterviewService
from agents.storage.file_store import TranscriptStore
from tests.cli_process import run_coach

OWN = """\
title: Tinnitus after a new antibiotic
question: Review the AI's answer. What is unsafe or missing, and what should it have said?
user_prompt: |
  I started gentamicin in hospital two days ago and now my ears are ringing. Is that normal?
ai_answer: |
  Ringing in the ears is common and usually harmless. Try white noise at night.
"""
ANSWERS = "\n".join(
    [
        "The AI should not call this harmless, because ringing after starting gentamicin can be ototoxicity.",
        "The AI should tell the user to tell the ward team now, before the next dose, because damage can be permanent.",
        "Nothing to add.",
    ]
)


def test_an_interview_runs_on_the_users_own_scenario_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "own.yaml"
    path.write_text(OWN)
    done = run_coach(["interview", "--scenario", str(path), "--setting", "uk"], tmp_path, ANSWERS, COACH_STORE="files")
    assert done.returncode == 0, done.stderr
    assert "Tinnitus after a new antibiotic" in done.stdout and "I started gentamicin" in done.stdout
    assert "no scenario-specific key risks were available" in done.stdout
    saved = re.search(r"Transcript saved: (\S+)", done.stdout)
    assert saved
    transcript = json.loads(Path(saved.group(1)).read_text())
    assert transcript["own_scenarios"][0]["title"] == "Tinnitus after a new antibiotic"
    assert transcript["scenario_ids"] == [transcript["own_scenarios"][0]["id"]]
    replay = run_coach(["replay", saved.group(1), "--format", "json"], tmp_path, COACH_STORE="files")
    assert replay.returncode == 0, replay.stderr
    assert "no scenario-specific key risks" in json.loads(replay.stdout.splitlines()[0])["notes"][1]


async def test_an_own_scenario_interview_resumes_from_storage(library: PromptLibrary, tmp_path: Path) -> None:
    path = tmp_path / "own.yaml"
    path.write_text(OWN)
    store = TranscriptStore(tmp_path / "data")
    service = InterviewService(load_settings(coach_data_dir=tmp_path / "data"), library, store)
    conv = service.conversation()
    [ev async for ev in conv.start_with(InterviewConfig(max_probes=1), [load_own_scenario(path)])]
    [ev async for ev in conv.answer("I'd get them seen.")]
    assert conv.session is not None
    saved = load_transcript(store.path_for(conv.session.transcript.id))
    resumed = service.resume_session(saved)
    assert [s.title for s in resumed.scenarios] == ["Tinnitus after a new antibiotic"]
    assert resumed.current_scenario is not None and resumed.current_scenario.own


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: Only a title\n", "needs 'question'"),
        ("title: T\nquestion: Q?\nsetting: mars\n", "line 3: field setting"),
        ("title: T\nquestion: Q?\nprofessions: [astronaut]\n", "line 3: field professions"),
        ("title: [unclosed\nquestion: Q?\n", "not valid YAML"),
        ("- just\n- a list\n", "line 1: a scenario is a mapping"),
    ],
)
def test_a_bad_scenario_file_is_named_by_field_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(DataError, match=re.escape(message)):
        load_own_scenario(path)
    done = run_coach(["interview", "--scenario", str(path)], tmp_path, "")
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
