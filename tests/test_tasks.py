"""The task itself, for the kinds whose task has a right result: the report says whether the
candidate ranked the responses right and gave the reason, how their grades compare with the
reference grades, whether they found the message where the chat should have changed course, which
invented references they flagged, what overreach they named, what their ideal response contains.
The results sit beside the six dimensions; the material is shown, the right results never are."""

from __future__ import annotations

import json
import re
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from agents.domain.feedback import Feedback
from agents.domain.library import PromptLibrary
from agents.domain.scenarios import Scenario, own_scenario_from_text
from agents.domain.transcript import Role, Transcript, TurnKind
from agents.errors import DataError
from agents.interview.interviewer import question_markdown
from agents.judging.offline import OfflineJudge
from agents.reporting.report import tasks_markdown, to_html, to_json_line
from tests.cli_process import run_coach

RANK: dict[str, Any] = {
    "title": "Two replies about a child's head bump",
    "kind": "rank",
    "question": "Which response is better, and what is the decisive reason?",
    "user_prompt": "My 4-year-old bumped his head an hour ago and has been sick twice. Can he nap?",
    "responses": [
        {"label": "A", "text": "Naps are fine after a bump. Keep an eye on him."},
        {"label": "B", "text": "Being sick more than once after a head injury needs urgent checking today."},
    ],
    "check": {
        "better": "B",
        "reason": "Repeated vomiting after a head injury is a red flag.",
        "reason_cues": ["vomiting"],
    },
}
GRADE: dict[str, Any] = {
    "title": "Grading a reply about missed pills",
    "kind": "grade",
    "question": "Grade the AI's answer against the rubric, item by item, and say why.",
    "user_prompt": "I missed two of my combined pills this week. What now?",
    "ai_answer": "Take the last missed pill now and carry on. You are protected.",
    "grading_rubric": [
        {"id": "R1", "text": "Tells her to take the most recent missed pill now.", "grade": "met"},
        {"id": "R2", "text": "Advises extra contraception for seven days.", "grade": "not_met"},
        {"id": "R3", "text": "Considers emergency contraception after unprotected sex.", "grade": "not_met"},
        {"id": "R4", "text": "Avoids false reassurance about protection.", "grade": "not_met"},
    ],
}
CHAT: dict[str, Any] = {
    "title": "A headache chat",
    "kind": "multi_turn",
    "question": "At which message should the AI have changed course, and what should it have done?",
    "chat": [
        {"role": "user", "text": "I've had a headache since this morning."},
        {"role": "ai", "text": "Sorry to hear that. Have you had enough water today?"},
        {"role": "user", "text": "Probably not. I've been busy."},
        {"role": "ai", "text": "Try drinking a couple of glasses and resting in a dark room."},
        {"role": "user", "text": "It came on like a thunderclap, the worst pain I've ever had."},
        {"role": "ai", "text": "Headaches can be intense. Give the water an hour to work."},
    ],
    "check": {"turn": 6, "turn_cues": ["thunderclap", "worst headache", "worst pain"]},
}
CITATIONS: dict[str, Any] = {
    "title": "References for a statin answer",
    "kind": "citations",
    "question": "Which citations would you flag as fabricated, and what should the AI do?",
    "user_prompt": "Do statins cause memory loss?",
    "ai_answer": "Large reviews find no link [1]. A 2019 trial in the Journal of Lipid Memory found a 40% rise [2]. "
    "Guideline NG999 advises stopping [3]. The FDA label mentions rare reports [4].",
    "check": {"fabricated": [2, 3], "genuine": [1, 4]},
}
SCOPE: dict[str, Any] = {
    "title": "A ferritin result read as a diagnosis",
    "kind": "scope_creep",
    "question": "What did the AI do beyond its scope, and what should it have done?",
    "user_prompt": "My ferritin came back at 9. What does it mean?",
    "ai_answer": "A ferritin of 9 means you have coeliac disease, so cut out gluten.",
    "check": {
        "overreach": "It diagnosed a cause from one value.",
        "overreach_cues": ["diagnosed a cause", "one value"],
    },
}
IDEAL: dict[str, Any] = {
    "title": "Writing the reply to a chest pain message",
    "kind": "ideal_response",
    "question": "Write the response the AI should give, and say why it is safe.",
    "user_prompt": "I've got a crushing pain in my chest going into my left arm. Should I lie down?",
    "key_risks": [
        {"id": "K1", "text": "Call 999 now.", "criterion": "B4", "cues": ["call 999 now"]},
        {"id": "K2", "text": "Do not drive yourself.", "criterion": "B1", "cues": ["do not drive"]},
        {"id": "K3", "text": "Chew an aspirin unless allergic.", "criterion": "B3", "cues": ["chew", "aspirin"]},
    ],
}


def _scenario(fields: dict[str, Any]) -> Scenario:
    import yaml

    return own_scenario_from_text(yaml.safe_dump(fields), "own.yaml", "uk")


def _judged(library: PromptLibrary, fields: dict[str, Any], *answers: str) -> Feedback:
    scenario = _scenario(fields)
    t = Transcript(scenario_ids=[scenario.id], own_scenarios=[scenario])
    t.add_turn(Role.INTERVIEWER, question_markdown(scenario, 1, 1, library), TurnKind.QUESTION, scenario_id=scenario.id)
    for answer in answers:
        t.add_turn(Role.CANDIDATE, answer, TurnKind.ANSWER, scenario_id=scenario.id)
        t.add_turn(Role.INTERVIEWER, "Anything to add?", TurnKind.PROBE, scenario_id=scenario.id)
    return OfflineJudge(library).judge(t)


def _task(fb: Feedback) -> Any:
    (result,) = fb.tasks
    return result


# Rankings said in many ways, built from the rule "the label ranked first, by any wording".
PICK_B = ["Response B is better", "I prefer B", "B over A", "A is worse", "I'd rank A second", "the better one is B",
          "I would go with response b", "B is safer"]  # fmt: skip
PICK_A = ["Response A is better", "I prefer A", "A over B", "B is worse", "I'd rank B second", "A is safer"]
REASONS = ["because of the vomiting", "since repeated vomiting is a red flag"]


@pytest.mark.parametrize(("pick", "reason"), list(product(PICK_B, REASONS)))
def test_the_right_ranking_with_its_reason_is_done_right(library: PromptLibrary, pick: str, reason: str) -> None:
    result = _task(_judged(library, RANK, f"{pick}, {reason}. The AI should send him to be checked today."))
    assert result.right, result.found
    assert result.evidence and pick.split()[0].lower() in result.evidence[0].quote.lower()


@pytest.mark.parametrize("pick", PICK_A)
def test_the_wrong_ranking_is_named_with_the_better_one(library: PromptLibrary, pick: str) -> None:
    result = _task(_judged(library, RANK, f"{pick}, because of the vomiting."))
    assert not result.right
    assert any("you ranked A first — the better one is B" in f for f in result.found)


def test_an_article_is_not_a_ranking_and_a_missing_reason_is_said(library: PromptLibrary) -> None:
    result = _task(_judged(library, RANK, "I'd go with a more cautious approach overall.", "B is better."))
    assert any("you ranked B first — right" in f for f in result.found)
    assert any(f.startswith("Decisive reason: not named") for f in result.found) and not result.right
    wavering = _task(_judged(library, RANK, "B is better because of the vomiting.", "Actually A is better."))
    assert not wavering.right and any("later ranked the other" in f for f in wavering.found)


def test_grades_are_compared_item_by_item_with_the_reference(library: PromptLibrary) -> None:
    fb = _judged(library, GRADE, "R1: met, because it says take the pill now. R2 – not met. R3 met.", "R4 no.")
    result = _task(fb)
    assert result.found[0] == "Calibration: 3 of 4 grades agree with the reference grades."
    assert "R3: you graded it met — reference: not met." in result.found
    assert not result.right
    missing = _task(_judged(library, GRADE, "R1 met. R2 not met."))
    assert "R3: not graded (reference: not met)." in missing.found
    exact = _task(_judged(library, GRADE, "R1 yes; R2 fails; R3 not met; R4 partially met."))
    assert exact.right, exact.found


@pytest.mark.parametrize(
    ("where", "right"),
    [("At message 6", True), ("The AI's third reply", True), ("Message 5, the user's,", True), ("At message 2", False)],
)
def test_the_message_where_the_chat_should_have_changed_course(library: PromptLibrary, where: str, right: bool) -> None:
    result = _task(_judged(library, CHAT, f"{where} the AI missed a thunderclap headache and should say call 999 now."))
    assert result.right is right, result.found
    unnamed = _task(_judged(library, CHAT, "At message 6 the AI should have told her to call 999."))
    assert not unnamed.right and "The late red flag: not named." in unnamed.found


def test_invented_references_flagged_missed_and_wrongly_accused(library: PromptLibrary) -> None:
    right = _task(_judged(library, CITATIONS, "References 2 and 3 are fabricated, but [1] and [4] are real."))
    assert right.right, right.found
    partial = _task(_judged(library, CITATIONS, "The second reference looks made up. [4] does not exist either."))
    assert not partial.right
    assert "Not flagged: [3]." in partial.found
    assert any(f.startswith("Flagged but real: [4]") for f in partial.found)
    quantity = _task(_judged(library, CITATIONS, "Wait 2 hours before judging; 3 doses is a fake worry."))
    assert "Invented references you flagged: none of [2], [3]." in quantity.found


def test_overreach_and_the_ideal_responses_contents(library: PromptLibrary) -> None:
    assert _task(_judged(library, SCOPE, "The AI diagnosed a cause from one value, which it cannot do.")).right
    assert not _task(_judged(library, SCOPE, "The AI was a bit blunt.")).right
    ideal = _task(_judged(library, IDEAL, "Call 999 now and do not drive yourself to hospital."))
    assert ideal.found[0] == "Your response contains 2 of the 3 things it must."
    assert "K3: missing — Chew an aspirin unless allergic." in ideal.found and not ideal.right


def test_the_material_is_shown_and_the_right_results_are_not(library: PromptLibrary) -> None:
    shown = "\n".join(question_markdown(_scenario(f), 1, 1, library) for f in (RANK, GRADE, CHAT, CITATIONS))
    assert "**Response A:**" in shown and "**Response B:**" in shown
    assert "**Message 6 — AI:**" in shown and "**Message 5 — User:**" in shown
    assert "- **R2** Advises extra contraception for seven days." in shown
    hidden = [RANK["check"]["reason"], "not_met", "worst headache", "fabricated: ", "genuine"]
    assert not [h for h in hidden if h in shown]


def test_task_results_are_reported_beside_the_scores_in_every_format(library: PromptLibrary) -> None:
    fb = _judged(library, RANK, "A is better because it is calmer.")
    text = tasks_markdown(fb)
    assert text.startswith("## The task itself (not part of the scores)")
    assert "Ranking two responses: **not yet**" in text and "The right result: B is better" in text
    assert json.loads(to_json_line(fb))["tasks"][0]["right"] is False
    assert "The task itself: Two replies about a child&#x27;s head bump — not yet" in to_html(fb)
    typed = _judged(library, {**RANK, "kind": "review", "ai_answer": "Naps are fine.", "responses": [], "check": None},
                    "A is better because it is calmer.")  # fmt: skip
    assert typed.tasks == [] and tasks_markdown(typed) == ""


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"kind": "rank", "responses": RANK["responses"][:1]}, "responses"),
        ({"kind": "rank", "check": {"better": "C", "reason_cues": ["x"]}}, "check.better"),
        ({"kind": "multi_turn", "check": {"turn": 5, "turn_cues": ["x"]}}, "check.turn"),
        ({"kind": "citations", "check": {"fabricated": [2], "genuine": [1]}}, "every reference cited [1, 2, 3, 4]"),
        ({"kind": "grade", "grading_rubric": GRADE["grading_rubric"][:2]}, "grading_rubric"),
    ],
)
def test_a_task_without_its_material_is_refused_by_name(change: dict[str, Any], named: str) -> None:
    base = {"rank": RANK, "multi_turn": CHAT, "citations": CITATIONS, "grade": GRADE}[change["kind"]]
    with pytest.raises(DataError, match=re.escape(named)):
        _scenario({**base, **change})


def test_an_own_ranking_scenario_is_interviewed_and_its_task_reported(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "rank.yaml"
    path.write_text(yaml.safe_dump(RANK))
    answers = "B is better, because repeated vomiting after a head bump is a red flag.\nNothing to add.\nNo.\n"
    done = run_coach(["interview", "--scenario", str(path), "--setting", "uk"], tmp_path, answers)
    assert done.returncode == 0, done.stderr
    assert "Response A:" in done.stdout and "Response B:" in done.stdout
    assert "Ranking two responses: **done right**" in done.stdout


def _bank_judged(library: PromptLibrary, scenario: Scenario, answer: str) -> Any:
    t = Transcript(scenario_ids=[scenario.id], config={"setting": scenario.setting.value})  # type: ignore[arg-type]
    t.add_turn(Role.INTERVIEWER, question_markdown(scenario, 1, 1, library), TurnKind.QUESTION, scenario_id=scenario.id)
    t.add_turn(Role.CANDIDATE, answer, TurnKind.ANSWER, scenario_id=scenario.id)
    return _task(OfflineJudge(library).judge(t))


def test_every_checked_bank_scenarios_reference_answer_does_its_task_right(library: PromptLibrary) -> None:
    from agents.domain.scenarios import CHECKED_KINDS

    checked = [s for s in library.scenarios if s.kind in CHECKED_KINDS]
    assert {s.kind for s in checked} == CHECKED_KINDS
    wrong = {s.id: r.found for s in checked if not (r := _bank_judged(library, s, s.reference_answer or "")).right}
    assert not wrong, wrong


def test_a_generic_answer_does_no_bank_task_right(library: PromptLibrary) -> None:
    from agents.domain.scenarios import CHECKED_KINDS

    generic = "This answer is unsafe and misses the risk. The AI should be more careful and tell the user to get help."
    done = [s.id for s in library.scenarios if s.kind in CHECKED_KINDS and _bank_judged(library, s, generic).right]
    assert not done, done
