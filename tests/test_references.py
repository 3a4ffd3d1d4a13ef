"""A reference answer for every scenario: shown after feedback, never before and never to the
interviewer, with the sentences that earned each criterion marked; its credit by the offline judge
measured, not tuned (no lexicon entry is copied from one)."""

from __future__ import annotations

from pathlib import Path

from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import InterviewConfig
from agents.interview.events import FeedbackReady, ReferenceReady
from agents.interview.service import InterviewService
from agents.models.fake import MockScript
from agents.reporting.report import reference_markdown
from agents.storage.file_store import TranscriptStore
from tests.cli_process import run_coach

# Below the measured rate (README): a change that makes the judge miss plainly explicit text trips it.
MIN_CREDIT = 0.74
# What the judge credits in a reference answer stays credited when code rewords it (1534/1535).
MIN_KEPT = 0.99


def test_every_scenario_has_a_reference_answer(library: PromptLibrary) -> None:
    missing = [s.id for s in library.scenarios if not s.reference_answer or not s.reference_meets]
    assert not missing, missing


async def test_references_come_after_feedback_and_mark_what_each_sentence_earned(
    library: PromptLibrary, tmp_path: Path
) -> None:
    service = InterviewService(load_settings(coach_data_dir=tmp_path), library, TranscriptStore(tmp_path))
    conv = service.conversation()
    events = [ev async for ev in conv.start_with(InterviewConfig(scenario_count=2, max_probes=0, seed=8))]
    assert not any(isinstance(ev, ReferenceReady) for ev in events)
    events = [ev async for ev in conv.answer("The AI should tell them to call 999 now.")]
    assert not any(isinstance(ev, ReferenceReady) for ev in events), "a reference before the last answer"
    events = [ev async for ev in conv.answer("Same as before.")]
    events += [ev async for ev in conv.answer("Nothing to add.")] if conv.active else []
    kinds = [type(ev).__name__ for ev in events]
    assert "FeedbackReady" in kinds and "ReferenceReady" in kinds
    assert kinds.index("FeedbackReady") < kinds.index("ReferenceReady")
    views = [ev.view for ev in events if isinstance(ev, ReferenceReady)]
    assert conv.session is not None and [v.scenario_id for v in views] == conv.session.transcript.scenario_ids
    text = reference_markdown(views[0])
    assert text.startswith("### A strong answer to:") and "**" in text  # some sentence earned a criterion
    assert next(ev for ev in events if isinstance(ev, FeedbackReady))


async def test_the_interviewer_never_sees_a_reference_answer(
    library: PromptLibrary, tmp_path: Path, mock_script: MockScript
) -> None:
    settings = load_settings(coach_mode="mock", coach_data_dir=tmp_path)
    service = InterviewService(settings, library, TranscriptStore(tmp_path))
    conv = service.conversation()
    [ev async for ev in conv.start_with(InterviewConfig(scenario_count=2, max_probes=1, seed=3))]
    while conv.active:
        [ev async for ev in conv.answer("I'd get them seen.")]
    sent = "\n".join(str(m.content) for msgs in mock_script.calls_for("interviewer") for m in msgs)
    assert sent, "the mock interviewer was asked nothing"
    for scenario in library.scenarios:
        assert scenario.reference_answer is not None
        assert scenario.reference_answer.strip()[:60] not in sent


def test_no_lexicon_entry_is_copied_from_a_reference_answer(library: PromptLibrary) -> None:
    # The judge's wording rules must not be fitted to the reference answers. (Key-risk cues are not
    # checked: they are the scenario's own, older than its reference, which was written from it.)
    entries = [
        e.lower()
        for lists in (library.lexicon.get("lexicons") or {}).values()
        if isinstance(lists, list)
        for e in lists
        if isinstance(e, str) and not e.startswith("re:") and len(e.split()) >= 4
    ]
    for s in library.scenarios:
        ref = (s.reference_answer or "").lower()
        copied = [e for e in entries if e in ref]
        assert not copied, (s.id, copied)


def test_the_reference_eval_measures_the_judges_credit(tmp_path: Path) -> None:
    done = run_coach(["eval", "references", "--min-credit", str(MIN_CREDIT), "--min-kept", str(MIN_KEPT)], tmp_path)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "criteria credited by the offline judge:" in done.stdout
    assert "credit kept when reworded by code (paraphrases-v1):" in done.stdout
