"""The rubric is data: a seventh dimension written only in a prompts folder runs through an
interview, a replay, the reports, the model judge and the judge eval, with no code change."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.config import load_settings
from agents.domain.library import PromptLibrary, load_library
from agents.domain.rubric import Band, Direction, Rubric, Scope
from agents.domain.transcript import InterviewConfig, Role, Transcript, TurnKind
from agents.interview.session import InterviewSession, MessageDone
from agents.judging.model_judge import LLMJudge
from agents.judging.offline import OfflineJudge
from agents.reporting.report import to_html, to_markdown
from agents.storage.file_store import TranscriptStore
from tests.cli_process import run_coach

ROOT = Path(__file__).resolve().parent.parent

EQUITY = {
    "id": "equity",
    "name": "Equity and access",
    "criteria": [
        # Only ids, names and texts: every other field takes its default.
        {"id": "E1", "name": "who the answer fails", "text": "Names a group the AI answer could fail."},
        {
            "id": "E2",
            "text": "Does not put risk down to a group by stereotype.",
            "direction": "unless_violated",
            "substance": 1,
        },
    ],
}
GROUP_SENTENCE = "A user with limited English could miss the warning entirely, so the AI should offer an interpreter."
ANSWERS = [
    "I'd get them seen quickly.",
    "The AI should not diagnose. It should tell the user to call 999 now if the pain spreads to the arm, "
    "because this could be a heart attack and waiting delays care.",
    "The AI should first ask about kidney function before saying anything about doses, because the dose depends on it.",
    "As I said earlier, red flags mean 999 in both cases, because the same threshold applies.",
    "Nothing to add.",
    "Nothing to add.",
]


def _seventh_dimension(tmp_path: Path) -> Path:
    """A copy of the project's prompts with an equity dimension added, in data only."""
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    rubric_path = prompts / "rubric" / "rubric.yaml"
    rubric = yaml.safe_load(rubric_path.read_text())
    rubric["version"] = "rubric-equity-test"
    rubric["dimensions"].append(EQUITY)
    rubric_path.write_text(yaml.safe_dump(rubric, sort_keys=False))
    guide_path = prompts / "rubric" / "guide.yaml"
    guide = yaml.safe_load(guide_path.read_text())
    guide["criteria"]["E1"] = {"met": "names a group the answer fails", "not_met": "no group named"}
    guide["criteria"]["E2"] = {"met": "no stereotype", "not_met": "risk put down to a group as such"}
    guide_path.write_text(yaml.safe_dump(guide, sort_keys=False))
    lexicon_path = prompts / "analyzer" / "lexicon.yaml"
    lexicon = yaml.safe_load(lexicon_path.read_text())
    lexicon["lexicons"]["equity_group"] = ["limited english", "learning disability", "darker skin", "low literacy"]
    lexicon["lexicons"]["stereotype"] = ["those people always", "people like that never"]
    lexicon["sentence_rules"]["E1"] = [["equity_group"]]
    lexicon["violation_rules"] = {"E2": [["stereotype"]]}
    lexicon["content_lists"] += ["equity_group", "stereotype"]
    lexicon_path.write_text(yaml.safe_dump(lexicon, sort_keys=False, allow_unicode=True))
    return prompts


@pytest.fixture
def equity_library(tmp_path: Path) -> PromptLibrary:
    return load_library(_seventh_dimension(tmp_path))


async def _interview(library: PromptLibrary, tmp_path: Path, answers: list[str]) -> InterviewSession:
    settings = load_settings(coach_prompts_dir=library.root, coach_data_dir=tmp_path / "data")
    config = InterviewConfig(scenario_count=2, max_probes=1, seed=3)
    store = TranscriptStore(tmp_path / "data")
    session = await InterviewSession.new(config, settings=settings, library=library, store=store)
    async for _ in session.start():
        pass
    for text in answers:
        if session.finished:
            break
        async for ev in session.respond(text):
            assert not isinstance(ev, MessageDone) or ev.turn.text
    return session


def test_a_dimension_written_with_ids_names_and_texts_alone_loads(equity_library: PromptLibrary) -> None:
    rubric = equity_library.rubric
    assert rubric.dimension_ids[-1] == "equity" and rubric.dimension("equity").prefix == "E"
    e1, e2 = rubric.dimension("equity").criteria
    assert (e1.scope, e1.direction, e1.probe, e1.suggestion) == (
        Scope.ANSWER,
        Direction.STATED,
        "Could you say that explicitly: names a group the AI answer could fail?",
        "Say it explicitly: names a group the AI answer could fail.",
    )
    assert e2.direction is Direction.UNLESS_VIOLATED and e2.name == "Does not put risk down to a group by stereotype"
    assert len(rubric.criterion_ids) == 26
    # A dimension with two criteria is scored on the same 0-4 scale as the others.
    assert rubric.score(rubric.dimension("equity"), 1) == 2


async def test_an_interview_replay_and_report_carry_the_new_dimension(
    equity_library: PromptLibrary, tmp_path: Path
) -> None:
    with_group = [*ANSWERS]
    with_group[1] = with_group[1] + " " + GROUP_SENTENCE
    session = await _interview(equity_library, tmp_path / "a", with_group)
    assert session.finished
    feedback = await session.evaluate()
    assert list(feedback.scores) == equity_library.rubric.dimension_ids
    equity = feedback.dimensions["equity"]
    assert [c.id for c in equity.criteria] == ["E1", "E2"]
    assert equity.criteria[0].met and GROUP_SENTENCE in equity.criteria[0].evidence[0].quote
    assert feedback.rubric_version == "rubric-equity-test"
    assert feedback.prompt_versions["rubric"] == "rubric-equity-test"

    # The same interview without the sentence: E1 is not met, so the one sentence raised it.
    plain = await _interview(equity_library, tmp_path / "b", ANSWERS)
    without = await plain.evaluate()
    assert not without.dimensions["equity"].criteria[0].met
    assert feedback.scores["equity"] > without.scores["equity"]
    assert {d: s for d, s in feedback.scores.items() if d != "equity"} == {
        d: s for d, s in without.scores.items() if d != "equity"
    }
    assert "E1" in without.dimensions["equity"].missing and without.dimensions["equity"].suggestion

    markdown = to_markdown(feedback)
    assert "### Equity and access — " in markdown and "(who the answer fails)" in markdown
    page = to_html(feedback)
    assert "Equity and access" in page and ">equity " in page  # a seventh spoke on the radar

    # Replay of the saved transcript through the command line, with the same prompts folder.
    saved = tmp_path / "a" / "data" / "transcripts" / f"{session.transcript.id}.json"
    replay = _coach(["replay", str(saved), "--format", "json"], tmp_path, equity_library.root)
    assert replay.returncode == 0, replay.stderr
    report = json.loads(replay.stdout.strip().splitlines()[0])
    assert report["scores"]["equity"] == feedback.scores["equity"]
    assert report["dimensions"]["equity"]["criteria"]["E1"]["met"] is True


def test_met_unless_violated_needs_substance_and_fails_on_a_violation(equity_library: PromptLibrary) -> None:
    judge = OfflineJudge(equity_library)
    substantive = (
        "The AI should not diagnose, because this could be a heart attack. "
        "It should tell the user to call 999 now, because waiting delays care for this user."
    )
    met = judge.judge(_transcript(substantive)).dimensions["equity"].criteria[1]
    broken = judge.judge(_transcript(substantive + " Those people always ignore advice.")).dimensions["equity"]
    thin = judge.judge(_transcript("Call 999.")).dimensions["equity"].criteria[1]
    assert met.met and not broken.criteria[1].met and not thin.met
    assert "Those people always" in broken.criteria[1].evidence[0].quote


async def test_the_model_judge_asks_for_and_scores_every_loaded_criterion(
    equity_library: PromptLibrary, tmp_path: Path
) -> None:
    settings = load_settings(coach_mode="mock", coach_prompts_dir=equity_library.root)
    judge = LLMJudge(settings, equity_library)
    feedback = await judge.evaluate(_transcript("The AI should tell them to call 999 now. " + GROUP_SENTENCE))
    assert feedback.judge_kind.value == "model", feedback.fallback_reason
    assert "equity" in feedback.scores and len([c for d in feedback.dimensions.values() for c in d.criteria]) == 26
    system = judge.messages(_transcript("x"), "f" * 16)[0].content
    assert "- E1 (equity): Names a group" in str(system) and "every one of the 26 criteria" in str(system)
    assert "E2" in str(system).split("met unless violated")[1].split(")")[0]


def test_band_rules_come_from_the_rubric(tmp_path: Path) -> None:
    prompts = _seventh_dimension(tmp_path)
    rubric_path = prompts / "rubric" / "rubric.yaml"
    data = yaml.safe_load(rubric_path.read_text())
    data["bands"] = [{"band": "strong", "all": {"at_least": {"equity": 4}}}, {"band": "needs_work"}]
    rubric = Rubric.model_validate(data)
    low = dict.fromkeys(rubric.dimension_ids, 0)
    assert rubric.band({**low, "equity": 4}) is Band.STRONG
    assert rubric.band({**dict.fromkeys(rubric.dimension_ids, 4), "equity": 3}) is Band.NEEDS_WORK
    data["bands"] = [{"band": "strong", "all": {"at_least": {"kindness": 4}}}, {"band": "needs_work"}]
    with pytest.raises(ValueError, match="unknown dimensions \\['kindness'\\]"):
        Rubric.model_validate(data)


def test_the_judge_eval_measures_the_new_dimension(equity_library: PromptLibrary, tmp_path: Path) -> None:
    dataset = tmp_path / "equity_set"
    dataset.mkdir()
    rows = []
    for i, text in enumerate([ANSWERS[1] + " " + GROUP_SENTENCE, ANSWERS[1], ANSWERS[2] + " " + GROUP_SENTENCE]):
        labels = dict.fromkeys(equity_library.rubric.criterion_ids, 0)
        labels["E1"] = int("limited English" in text)
        rows.append({"id": f"e{i}", "transcript": f"Interviewer: What should the AI do?\n\nCandidate: {text}"})
        rows[-1]["labels"] = labels
    (dataset / "labels.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "eval"
    run = _coach(
        ["eval", "judge", "--dataset", str(dataset), "--no-metamorphic", "--quiet", "--out", str(out)],
        tmp_path,
        equity_library.root,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    result: dict[str, Any] = json.loads((out / "results.json").read_text())
    assert result["agreement"]["criteria"]["E1"]["recall"] == 1.0
    assert "equity" in result["agreement"]["dimensions"] and "equity" in run.stdout


def _transcript(answer: str) -> Transcript:
    t = Transcript()
    t.add_turn(Role.INTERVIEWER, "What should the AI do here?", TurnKind.QUESTION)
    t.add_turn(Role.CANDIDATE, answer, TurnKind.ANSWER)
    return t


def _coach(args: list[str], tmp_path: Path, prompts: Path) -> subprocess.CompletedProcess[str]:
    return run_coach(args, tmp_path, COACH_DATA_DIR=str(tmp_path / "cli-data"), COACH_PROMPTS_DIR=str(prompts))


def test_labels_of_another_rubric_are_refused(tmp_path: Path) -> None:
    from agents.errors import TranscriptError
    from evals.dataset import load_dataset

    folder = tmp_path / "old_set"
    shutil.copytree(ROOT / "evals" / "datasets" / "judge_holdout_v1", folder)
    (folder / "RUBRIC").write_text("rubric-v1\n")
    with pytest.raises(TranscriptError, match="written under rubric-v1; the rubric loaded is rubric-v2"):
        load_dataset(folder)
    (folder / "RUBRIC").write_text("rubric-v2\n")
    assert len(load_dataset(folder)) == 30


@pytest.mark.parametrize(
    ("question", "answer", "met"),
    [
        (
            "A user in England asked the NHS 111 chatbot about chest pain.",
            "The AI should tell them to call 911 now.",
            False,
        ),
        (
            "A user in England asked the NHS 111 chatbot about chest pain.",
            "The AI should tell them to call 999 now.",
            True,
        ),
        ("A user in Ohio asked about chest pain; the AI said take Tylenol.", "The AI should say call 911 now.", True),
        ("A user in Ohio asked about chest pain; the AI said take Tylenol.", "The AI should say go to A&E now.", False),
        ("A user asked about chest pain.", "The AI should tell them to call 911 now.", True),  # setting unknown
    ],
)
def test_the_candidates_health_system_decides_the_route(
    library: PromptLibrary, question: str, answer: str, met: bool
) -> None:
    t = Transcript()
    t.add_turn(Role.INTERVIEWER, question + " What should the AI do?", TurnKind.QUESTION)
    t.add_turn(Role.CANDIDATE, answer, TurnKind.ANSWER)
    b4 = next(c for c in OfflineJudge(library).judge(t).dimensions["scope"].criteria if c.id == "B4")
    assert b4.met is met


def test_the_report_states_the_judges_held_out_agreement(library: PromptLibrary) -> None:
    feedback = OfflineJudge(library).judge(_transcript("The AI should tell them to call 999 now."))
    assert feedback.agreement and "held-out transcripts" in feedback.agreement
    assert f"*{feedback.agreement}*" in to_markdown(feedback)


@pytest.mark.parametrize(
    "answer",
    [
        "Um, the AI should tell them to call nine nine nine now.",
        "The AI should, uh, tell them to go to A and E now.",
        "hmm, the AI should tell them to ring one one one today.",
    ],
)
def test_spoken_answers_score_as_typed(library: PromptLibrary, answer: str) -> None:
    question = "A user in England asked the NHS chatbot about chest pain. What should the AI do?"
    t = Transcript()
    t.add_turn(Role.INTERVIEWER, question, TurnKind.QUESTION)
    t.add_turn(Role.CANDIDATE, answer, TurnKind.ANSWER)
    b4 = next(c for c in OfflineJudge(library).judge(t).dimensions["scope"].criteria if c.id == "B4")
    assert b4.met, answer


PLACEBO_QUESTION = (
    "You're a clinical researcher. A patient in a cancer trial asked the study's chatbot whether she might be "
    "getting a placebo instead of chemotherapy, and whether she can find out which arm she is in. The chatbot "
    "said every participant receives the active drug. What is wrong with that reply?"
)
VALPROATE_ANSWER = (
    "The AI should never tell a woman who could get pregnant that valproate is fine, because it causes "
    "serious birth defects and developmental problems. It should tell her to keep taking it and see her GP "
    "urgently today, and call 999 if she has a seizure that lasts more than five minutes."
)
PLACEBO_ANSWER = (
    "The chatbot's reply is false: in a placebo-controlled trial some participants get placebo, so telling her "
    "she receives the active drug misleads her about the trial and undermines her consent. The AI should not "
    "guess her arm; it should tell her to ask the trial team today, because unblinding is their decision."
)


def test_an_answer_to_another_question_earns_no_content_credit(library: PromptLibrary) -> None:
    def judged(answer: str) -> Any:
        t = Transcript()
        t.add_turn(Role.INTERVIEWER, PLACEBO_QUESTION, TurnKind.QUESTION)
        t.add_turn(Role.CANDIDATE, answer, TurnKind.ANSWER)
        return OfflineJudge(library).judge(t)

    astray, on_topic = judged(VALPROATE_ANSWER), judged(PLACEBO_ANSWER)
    content = ("S1", "S3", "B3", "B4")
    assert "off_question" in astray.flags and any("did not address the question" in n for n in astray.notes)
    assert not any(c.met for d in astray.dimensions.values() for c in d.criteria if c.id in content)
    assert "off_question" not in on_topic.flags
    # The same answer under its own question keeps its content credit.
    own = Transcript()
    own.add_turn(
        Role.INTERVIEWER,
        "You're a GP. A woman of 28 on valproate for epilepsy asked the chatbot if she can try for a baby; the "
        "chatbot said valproate is safe in pregnancy and she should carry on as normal. What do you make of it?",
        TurnKind.QUESTION,
    )
    own.add_turn(Role.CANDIDATE, VALPROATE_ANSWER, TurnKind.ANSWER)
    kept = OfflineJudge(library).judge(own)
    assert "off_question" not in kept.flags
    assert any(c.met for d in kept.dimensions.values() for c in d.criteria if c.id in content)


CHEST_QUESTION = (
    "You're a GP. A man of 58 gets a tight feeling in his chest walking uphill that goes after a few minutes "
    "of rest; he asked the chatbot whether it is a pulled muscle from the gym. The chatbot agreed, suggested "
    "ibuprofen and a warm compress, and said to see a GP in a fortnight if it persists. What do you make of it?"
)
RASH_QUESTION = (
    "You're a practice nurse. A mother asked the chatbot about her toddler of 18 months with a fever of 39 and "
    "a rash of purple spots that do not fade when she presses a glass on them. The chatbot said viral rashes are "
    "common in toddlers and to give children's paracetamol and fluids. How would you assess that reply?"
)
# About a teenager's asthma attack; three of its words ("gets", "uphill", "ibuprofen") also occur
# in the chest-pain question, by chance.
ASTHMA_ANSWER = (
    "The danger is a severe asthma attack: a teenager whose blue inhaler is not lasting four hours and who "
    "gets wheezy going uphill and cannot finish sentences needs help now, and the AI must not suggest waiting "
    "for the morning. It should say to use the reliever as the asthma plan says and ring 999 if her lips turn "
    "blue or she is too breathless to speak, and never take ibuprofen on top, because a silent chest is "
    "life-threatening and steroids may be needed within the hour."
)
RASH_ANSWER = (
    "A non-blanching rash with a fever in a toddler is meningococcal sepsis until proved otherwise, and the "
    "chatbot's reassurance could delay antibiotics by hours. It should tell the mother to call 999 now, "
    "not give paracetamol and wait, and explain that the glass test matters more than the temperature."
)


def test_a_word_shared_by_chance_does_not_make_an_answer_fit_its_question(library: PromptLibrary) -> None:
    analyzer = OfflineJudge(library).analyzer
    answer = ASTHMA_ANSWER.replace("ibuprofen on top", "a drug like ibuprofen on top")
    shared = analyzer.specific_words(answer) & analyzer.specific_words(PLACEBO_QUESTION)
    assert shared == {"drug"}  # one word of forty-odd
    assert analyzer.off_question(answer, PLACEBO_QUESTION)
    assert not analyzer.off_question(RASH_ANSWER, RASH_QUESTION)


def test_an_interview_mostly_answered_to_other_questions_is_read_with_looser_bounds(library: PromptLibrary) -> None:
    analyzer = OfflineJudge(library).analyzer
    # Three words in common keep the asthma answer under the chest-pain question on its own ...
    assert not analyzer.off_question(ASTHMA_ANSWER, CHEST_QUESTION)
    assert analyzer.off_question(ASTHMA_ANSWER, CHEST_QUESTION, loose=True)
    # ... but not when the interview's other answer missed its question too: half the interview
    # was answered to something else.
    assert analyzer.astray([VALPROATE_ANSWER, ASTHMA_ANSWER], [PLACEBO_QUESTION, CHEST_QUESTION]) == {0, 1}
    # One miss in three questions is not most of the interview: the rest keep the strict bounds.
    three = analyzer.astray(
        [VALPROATE_ANSWER, ASTHMA_ANSWER, RASH_ANSWER], [PLACEBO_QUESTION, CHEST_QUESTION, RASH_QUESTION]
    )
    assert three == {0}


UK_ONLY = re.compile(r"\b(999|111|NHS|A&E|NICE|BNF|MHRA|GP|paracetamol)\b")
US_ONLY = re.compile(r"\b(911|ER|urgent care|primary care provider|acetaminophen|FDA|CDC)\b")


@pytest.mark.parametrize(("setting", "foreign"), [("us", UK_ONLY), ("uk", US_ONLY)])
async def test_an_interview_and_its_feedback_keep_to_one_health_system(
    library: PromptLibrary, tmp_path: Path, setting: str, foreign: re.Pattern[str]
) -> None:
    settings = load_settings(coach_data_dir=tmp_path / setting)
    for seed in range(4):
        config = InterviewConfig(scenario_count=3, max_probes=2, seed=seed, setting=setting)  # type: ignore[arg-type]
        session = await InterviewSession.new(
            config, settings=settings, library=library, store=TranscriptStore(tmp_path)
        )
        async for _ in session.start():
            pass
        while not session.finished:
            async for _ in session.respond("I'd want them seen."):
                pass
        feedback = await session.evaluate()
        asked = [t.text for t in session.transcript.turns if t.role is Role.INTERVIEWER]
        mixed = [m.group(0) for text in [*asked, to_markdown(feedback)] for m in foreign.finditer(text)]
        assert not mixed, (setting, seed, mixed[:5])


def test_a_numbered_list_whose_items_start_with_capitals_counts_as_structure(library: PromptLibrary) -> None:
    from agents.judging.analyzer import split_sentences

    text = "The AI should:\n1. Not diagnose indigestion.\n2. Tell her to call 999 now.\n3. Stay with her."
    assert [text[a:b] for a, b in split_sentences(text)][1] == "1. Not diagnose indigestion."
    f2 = next(c for c in OfflineJudge(library).judge(_transcript(text)).dimensions["framing"].criteria if c.id == "F2")
    assert f2.met
