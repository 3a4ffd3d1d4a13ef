"""Progress over time: each dimension's score across a user's interviews, the criteria they leave
unsaid most often, never a line joining scores of two rubric versions; in the service, the
browser (My progress) and the terminal (`coach progress`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import InterviewConfig
from agents.interview.events import ProgressReady
from agents.interview.service import InterviewService
from agents.reporting.progress import progress_figure, progress_markdown
from agents.storage.file_store import TranscriptStore
from tests.cli_process import run_coach
from tests.test_app_handlers import RecordingEmitter, _make_app, ctx  # noqa: F401 - the fixture

STRONG = (
    "The AI should not diagnose. The risk is sepsis for her: it should tell her to call 999 now, because "
    "waiting could cost her kidneys. I am not certain, so it must say what it cannot know."
)
WEAK = "I'd get them seen."


def _service(library: PromptLibrary, data: Path) -> InterviewService:
    return InterviewService(load_settings(coach_data_dir=data), library, TranscriptStore(data))


async def _finish(service: InterviewService, owner: str | None, answer: str, seed: int) -> None:
    conv = service.conversation(owner)
    [ev async for ev in conv.start_with(InterviewConfig(scenario_count=1, max_probes=0, seed=seed))]
    [ev async for ev in conv.answer(answer)]


async def test_progress_follows_the_users_own_interviews_in_order(library: PromptLibrary, tmp_path: Path) -> None:
    service = _service(library, tmp_path / "data")
    for seed, answer in enumerate([WEAK, STRONG, WEAK]):
        await _finish(service, "alice", answer, seed)
    await _finish(service, "bob", STRONG, 7)

    progress = await service.progress("alice")
    assert len(progress.points) == 3, "only alice's three interviews"
    assert [p.when for p in progress.points] == sorted(p.when for p in progress.points)
    first, second, third = progress.points
    assert sum(second.scores.values()) > sum(first.scores.values()), "the strong answer scores higher"
    assert second.scores != third.scores
    # What she leaves unsaid most: counted over her interviews, per-answer criteria only.
    assert progress.most_missed and all(m.of == 3 for m in progress.most_missed)
    assert all(library.rubric.criterion(m.criterion).scope.value == "answer" for m in progress.most_missed)
    assert progress.most_missed[0].interviews >= progress.most_missed[-1].interviews
    assert progress.version_changes == []
    assert len((await service.progress("bob")).points) == 1

    # Asked for in a chat message between interviews.
    shown = [ev async for ev in service.conversation("alice").message("My progress")]
    assert isinstance(shown[0], ProgressReady) and len(shown[0].progress.points) == 3
    text = progress_markdown(shown[0].progress)
    assert text.count("\n| ") == 4 and "Left unsaid most often lately" in text


async def test_a_rubric_change_is_marked_and_never_joined_by_a_line(library: PromptLibrary, tmp_path: Path) -> None:
    data = tmp_path / "data"
    service = _service(library, data)
    for seed, answer in enumerate([WEAK, STRONG, STRONG]):
        await _finish(service, None, answer, seed)
    store = TranscriptStore(data)
    # The oldest interview was judged under an earlier rubric.
    oldest = sorted(await service.feedbacks(None), key=lambda f: f.created_at)[0]
    assert oldest.transcript_id is not None
    await store.save_feedback(oldest.transcript_id, oldest.model_copy(update={"rubric_version": "rubric-v0"}))

    progress = await service.progress(None)
    assert progress.version_changes == [1]
    figure = progress_figure(progress)
    for trace in figure.data:
        versions = {progress.points[x - 1].rubric_version for x in trace.x}
        assert len(versions) == 1, f"the {trace.name} line joins scores of rubric versions {versions}"
    assert any(shape.x0 == 1.5 for shape in figure.layout.shapes), "the change is marked between interviews 1 and 2"
    assert "⟂" in progress_markdown(progress)
    # Most missed counts the current rubric's interviews only.
    assert all(m.of == 2 for m in progress.most_missed)


def test_the_terminal_prints_progress(tmp_path: Path) -> None:
    for seed in (1, 2):
        done = run_coach(["interview", "--scenarios", "1", "--probes", "0", "--seed", str(seed)], tmp_path, WEAK + "\n")
        assert done.returncode == 0, done.stderr
    shown = run_coach(["progress"], tmp_path, "")
    assert shown.returncode == 0, shown.stderr
    assert "## My progress" in shown.stdout and "coach interview --drill" in shown.stdout
    assert shown.stdout.count("\n| ") == 3  # the header and two interviews
    raw = run_coach(["progress", "--format", "json"], tmp_path, "")
    assert len(json.loads(raw.stdout)["points"]) == 2


async def test_my_progress_in_the_browser_shows_a_line_chart_and_a_drill(
    tmp_path: Path,
    ctx: RecordingEmitter,  # noqa: F811 - the fixture
) -> None:
    import chainlit as cl

    import app as app_adapter

    coach: Any = _make_app(coach_data_dir=tmp_path / "data")
    try:
        await coach.on_progress(cl.Action(name=app_adapter.ACTION_PROGRESS, payload={}))
        assert any("No finished interview with feedback yet" in m for m in ctx.messages())
        await coach.on_chat_start()
        await coach.on_message(cl.Message(content="Start interview: doctor, uk, 1 scenarios", type="user_message"))
        await coach.on_end(cl.Action(name=app_adapter.ACTION_END, payload={}))
        actions = [d["name"] for e, d in ctx.events if e == "action"]
        assert app_adapter.ACTION_PROGRESS in actions, "the feedback offers My progress"
        await coach.on_progress(cl.Action(name=app_adapter.ACTION_PROGRESS, payload={}))
        assert any(m.startswith("## My progress") for m in ctx.messages())
        charts = [e for e in ctx.elements() if e["type"] == "plotly" and e["name"] == "progress"]
        assert charts, "a line chart of the scores"
    finally:
        coach.service.close()
