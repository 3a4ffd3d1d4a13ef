"""Users can disagree: a verdict flagged "this is wrong" is kept with the interview, the judge and
the rubric version, and `coach eval flags` exports it as a candidate label."""

from __future__ import annotations

import json
from pathlib import Path

from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import InterviewConfig
from agents.interview.events import FeedbackReady, Notice
from agents.interview.service import InterviewService
from agents.storage.file_store import TranscriptStore
from tests.cli_process import run_coach


async def _finished(library: PromptLibrary, tmp_path: Path) -> tuple[InterviewService, object, FeedbackReady]:
    store = TranscriptStore(tmp_path / "data")
    service = InterviewService(load_settings(coach_data_dir=tmp_path / "data"), library, store)
    conv = service.conversation()
    [ev async for ev in conv.start_with(InterviewConfig(scenario_count=1, max_probes=0, seed=5))]
    events = [ev async for ev in conv.answer("The AI should tell them to call 999 now, because it could be sepsis.")]
    ready = next(ev for ev in events if isinstance(ev, FeedbackReady))
    return service, conv, ready


async def test_a_flag_is_kept_with_the_interview_and_its_versions(library: PromptLibrary, tmp_path: Path) -> None:
    service, conv, ready = await _finished(library, tmp_path)
    said = [ev async for ev in conv.message("flag c2: I did explain why the priority changed")]  # type: ignore[attr-defined]
    assert isinstance(said[0], Notice) and not said[0].warning and "C2" in said[0].text
    saved = await service.repository.get(ready.transcript.id)
    assert len(saved.flags) == 1
    flag = saved.flags[0]
    assert flag.criterion == "C2" and flag.reason == "I did explain why the priority changed"
    verdict = next(c.met for d in ready.feedback.dimensions.values() for c in d.criteria if c.id == "C2")
    assert flag.verdict is verdict and flag.judge == "offline"
    assert flag.rubric_version == library.rubric.version and flag.analyzer_version == library.lexicon_version


async def test_a_bad_flag_says_what_is_wrong_and_keeps_nothing(library: PromptLibrary, tmp_path: Path) -> None:
    service, conv, ready = await _finished(library, tmp_path)
    for text, expected in (
        ("flag Z9: nonsense", "is not a criterion"),
        ("flag B4:", "Give a reason"),
        ("flag B4: " + "x" * 600, "up to 500 characters"),
    ):
        said = [ev async for ev in conv.message(text)]  # type: ignore[attr-defined]
        assert said[0].warning and expected in said[0].text, text
    assert (await service.repository.get(ready.transcript.id)).flags == []


async def test_flags_are_exported_as_candidate_labels(library: PromptLibrary, tmp_path: Path) -> None:
    _, conv, ready = await _finished(library, tmp_path)
    [ev async for ev in conv.message("flag B4: I named 999 and the urgency")]  # type: ignore[attr-defined]
    out = tmp_path / "flags.jsonl"
    done = run_coach(["eval", "flags", "--out", str(out)], tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["transcript_id"], r["criterion"]) for r in rows] == [(ready.transcript.id, "B4")]
    assert rows[0]["answers"] and rows[0]["rubric_version"] == library.rubric.version
    assert "1 flag(s) on 1 interview(s): B4 1" in done.stderr
