"""Rewording by code, and the judge's verdicts under it: the same thing said in other ordinary
words ("ought not to" for "shouldn't", "the assistant" for "the AI", "does not" for "doesn't")
must get the same verdicts, on every labelled set, and the wordings it revealed are tested one by
one."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.domain.library import PromptLibrary
from agents.domain.transcript import Role, parse_transcript_text
from agents.errors import DataError
from agents.judging.offline import OfflineJudge
from evals.dataset import DEFAULT_DATASET, load_dataset
from evals.paraphrase import Paraphraser

SETS = DEFAULT_DATASET.parent
# Transcripts whose six scores are unchanged when every answer is reworded. The development sets'
# misses were read and fixed; the blind sets' were not (26/44 and 29/44 before that work; the
# third blind set, written after it, 37/44).
FLOORS = {
    "judge_v1": 0.95,
    "judge_holdout_v1": 0.95,
    "judge_dev_v2": 0.95,
    "judge_blind_v1": 0.90,
    "judge_blind_v2": 0.88,
    "judge_blind_v3": 0.82,
}


@pytest.fixture(scope="module")
def reword() -> Paraphraser:
    return Paraphraser.load()


@pytest.fixture(scope="module")
def judge(library: PromptLibrary) -> OfflineJudge:
    return OfflineJudge(library)


def test_rewording_is_whole_word_longest_first_and_keeps_capitals(reword: Paraphraser) -> None:
    said = "The AI shouldn't tell her to wait. Shouldering the load, it should ask whether she’s pregnant."
    assert reword.rewrite(said) == (
        "The assistant ought not to advise her to wait. "
        "Shouldering the load, it ought to find out whether she's pregnant."
    )
    # Nothing outside the table changes, and a phrase inside a longer word is left alone.
    assert reword.rewrite("Ibuprofen 400 mg, sweating, 999.") == "Ibuprofen 400 mg, sweating, 999."
    assert reword.rewrite("the AI's answer") == "the AI's answer"


def test_only_the_candidate_is_reworded(reword: Paraphraser) -> None:
    t = parse_transcript_text("Interviewer: Why shouldn't it answer?\n\nCandidate: It shouldn't answer.\n", "t")
    out = reword.transcript(t)
    assert [x.text for x in out.turns] == ["Why shouldn't it answer?", "It ought not to answer."]
    assert t.turns[1].text == "It shouldn't answer."  # the original is untouched
    assert out.turns[1].role is Role.CANDIDATE


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("swaps: {a: b}\n", "'version'"),
        ("version: x\nswaps: []\n", "'swaps' must map"),
        ("version: x\nswaps: {should: ''}\n", "['should']"),
    ],
)
def test_a_malformed_table_is_named(tmp_path: Path, body: str, why: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(DataError, match=r"p\.yaml") as err:
        Paraphraser.load(path)
    assert why in str(err.value)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_rewording_keeps_the_scores_on_every_labelled_set(
    name: str, library: PromptLibrary, judge: OfflineJudge, reword: Paraphraser
) -> None:
    samples = load_dataset(SETS / name, library.rubric)
    same = [
        s.id for s in samples if judge.judge(s.transcript).scores == judge.judge(reword.transcript(s.transcript)).scores
    ]
    assert len(same) / len(samples) >= FLOORS[name], f"{len(same)}/{len(samples)} unchanged"


def _met(
    judge: OfflineJudge, answers: list[str], question: str = "A user with back pain was told to rest. Review it."
) -> dict[str, bool]:
    text = "\n\n".join(f"Interviewer: {question}\n\nCandidate: {a}" for a in answers)
    fb = judge.judge(parse_transcript_text(text, "t"))
    return {c.id: c.met for d in fb.dimensions.values() for c in d.criteria}


@pytest.mark.parametrize(
    ("said", "crit"),
    [
        # "Ought not to" is a boundary like "should not".
        ("It ought not to tell her the pain is nothing.", "B1"),
        # "Is not better" is a trigger like "isn't better", and "aren't sure of" an unknown.
        ("It should tell him to see his GP if he isn't better in two days.", "B3"),
        ("The guidance is silent for women who aren't sure of their dates.", "U1"),
    ],
)
def test_other_wordings_of_a_criterion_earn_it(judge: OfflineJudge, said: str, crit: str) -> None:
    assert _met(judge, [said])[crit]


def test_at_once_is_urgency_not_a_condition(judge: OfflineJudge) -> None:
    # "Once …" makes a handover conditional (B2); "at once" only says how fast.
    assert not _met(judge, ["She should contact her maternity unit at once, the same day, not wait."])["B2"]
    assert _met(judge, ["Once she feels fewer movements, she should contact her maternity unit the same day."])["B2"]


def test_saying_something_clearly_is_no_overconfident_claim(judge: OfflineJudge) -> None:
    answers = [
        "I think the AI should say clearly, do not skip your basal insulin, and talk to your diabetes team this week. "
        "Missing it could tip a teenager into ketoacidosis within a day.",
        "It probably needs the same caution for anyone on insulin. We don't know her doses or how she eats.",
    ]
    assert _met(judge, answers)["U4"]


def test_restating_to_check_understanding_is_padding_in_either_wording(judge: OfflineJudge) -> None:
    for verb in ("make sure", "ensure"):
        said = f"So just to {verb} I've understood, the AI asked her to check her temperature before calling anyone."
        assert not _met(judge, [said])["U3"], verb
