"""Drills: after feedback, an interview on the two criteria the user missed most lately, with
scenarios written to exercise them and probes that go after them first."""

from __future__ import annotations

from pathlib import Path

from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import InterviewConfig, TurnKind
from agents.interview.events import MessageDone, Notice
from agents.interview.service import InterviewService
from agents.storage.file_store import TranscriptStore
from tests.cli_process import run_coach


def _service(library: PromptLibrary, tmp_path: Path) -> InterviewService:
    return InterviewService(
        load_settings(coach_data_dir=tmp_path / "data"), library, TranscriptStore(tmp_path / "data")
    )


async def _finish_one(service: InterviewService, answer: str, seed: int) -> None:
    conv = service.conversation()
    [ev async for ev in conv.start_with(InterviewConfig(scenario_count=1, max_probes=0, seed=seed))]
    [ev async for ev in conv.answer(answer)]


async def test_a_drill_works_on_the_criteria_missed_most(library: PromptLibrary, tmp_path: Path) -> None:
    service = _service(library, tmp_path)
    nothing = [ev async for ev in service.conversation().drill()]
    assert isinstance(nothing[0], Notice) and "nothing to drill yet" in nothing[0].text
    # Route and boundary named every time; what is never said is what gets drilled.
    for seed in range(3):
        await _finish_one(service, "The AI should not diagnose. It should tell them to call 999 now.", seed)
    weakest = await service.weakest(None)
    assert len(weakest) == 2 and not {"B4", "B1"} & set(weakest)
    assert all(library.rubric.criterion(c).scope.value == "answer" for c in weakest)

    conv = service.conversation()
    events = [ev async for ev in conv.drill()]
    assert isinstance(events[0], Notice) and all(c in events[0].text for c in weakest)
    assert conv.session is not None and conv.session.transcript.config.focus == weakest
    first = conv.session.scenarios[0]
    assert set(weakest) & first.exercises, "the drill's first scenario exercises a drilled criterion"
    out = [ev async for ev in conv.answer("I'd get them seen.")]
    probe = next(ev.turn for ev in out if isinstance(ev, MessageDone) and ev.turn.kind is TurnKind.PROBE)
    assert probe.probe_target in weakest, "the first probe goes after a drilled criterion"


def test_the_terminal_drills_too(tmp_path: Path) -> None:
    answers = "\n".join(["The AI should not diagnose. It should tell them to call 999 now."] * 3)
    done = run_coach(["interview", "--scenarios", "1", "--probes", "0", "--seed", "2"], tmp_path, answers)
    assert done.returncode == 0, done.stderr
    drill = run_coach(["interview", "--drill", "--scenarios", "1", "--probes", "1"], tmp_path, "I'd get them seen.\n")
    assert drill.returncode == 0, drill.stderr
    assert "This interview drills what you left unsaid most often lately" in drill.stdout
    assert "## Feedback" in drill.stdout


async def test_feedback_an_instance_died_before_giving_is_given_on_coming_back(
    library: PromptLibrary, tmp_path: Path
) -> None:
    from agents.interview.events import FeedbackReady

    service = _service(library, tmp_path)
    conv = service.conversation("alice")
    [ev async for ev in conv.start_with(InterviewConfig(scenario_count=1, max_probes=0, seed=3))]
    session = conv.session
    assert session is not None
    # The last answer is saved and the interview closed; the instance dies before judging.
    while not session.finished:
        [ev async for ev in session.respond("The AI should tell them to call 999 now.")]
    assert await service.repository.load_feedback(session.transcript.id) is None

    again = [ev async for ev in service.conversation("alice").open()]
    assert isinstance(again[0], Notice) and "1 answer(s) saved" in again[0].text
    feedback = next(ev for ev in again if isinstance(ev, FeedbackReady))
    assert feedback.transcript.id == session.transcript.id
    assert await service.repository.load_feedback(session.transcript.id) is not None
    # Given once: the next visit starts afresh.
    assert [ev async for ev in service.conversation("alice").open()] == []

    # An interview left for another one (no closing) is not judged behind the user's back.
    left = service.conversation("alice")
    [ev async for ev in left.start_with(InterviewConfig(scenario_count=1, max_probes=0, seed=4))]
    [ev async for ev in left.start_with(InterviewConfig(scenario_count=1, max_probes=0, seed=5))]
    [ev async for ev in left.end()]  # the newer one ends with its feedback
    opened = [ev async for ev in service.conversation("alice").open()]
    assert not any(isinstance(ev, FeedbackReady) for ev in opened)


async def test_an_answer_saved_by_an_instance_that_died_before_replying_is_replied_to(
    library: PromptLibrary, tmp_path: Path
) -> None:
    from agents.domain.transcript import Role
    from agents.interview.events import WelcomeBack

    service = _service(library, tmp_path)
    conv = service.conversation("alice")
    [ev async for ev in conv.start_with(InterviewConfig(scenario_count=2, max_probes=0, seed=3))]
    assert conv.session is not None
    transcript = conv.session.transcript
    # The answer is saved first, as always; the instance dies before saying what comes next.
    transcript.add_turn(Role.CANDIDATE, "The AI should tell them to call 999 now.", TurnKind.ANSWER,
                        scenario_id=transcript.scenario_ids[0])  # fmt: skip
    await service.repository.save(transcript)

    again = [ev async for ev in service.conversation("alice").open()]
    assert isinstance(again[0], WelcomeBack) and again[0].answered == 1
    asked = [ev for ev in again if isinstance(ev, MessageDone) and ev.awaiting]
    assert asked and asked[-1].turn.kind is TurnKind.QUESTION and "Scenario 2 of 2" in asked[-1].turn.text
    saved = await service.repository.get(transcript.id)
    assert [t.role for t in saved.turns[-2:]] == [Role.CANDIDATE, Role.INTERVIEWER]
    assert len(saved.candidate_turns) == 1, "the answer is not saved twice"
