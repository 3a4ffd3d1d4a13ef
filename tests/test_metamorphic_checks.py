"""What the judge's metamorphic cases expect: one added explicit sentence raises its dimension,
except that a harm, trigger or route added under answers read as off their question earns nothing
(the rubric gives an answer to a different question no content credit)."""

from __future__ import annotations

from agents.domain.library import PromptLibrary
from agents.domain.transcript import parse_transcript_text
from agents.judging.offline import OfflineJudge, get_analyzer
from evals.judge_suite import Variant, check_variant, with_appended

TRIGGERS = "Triggers include chest pain spreading to the arm, sweating or breathlessness."
CHEST = (
    "Interviewer: A man of 58 with chest pain spreading to his jaw was told by the AI it is probably "
    "indigestion and to take an antacid and see how he goes overnight. What do you think of that answer?\n"
    "Candidate: The answer is too relaxed about his pain and the antacid advice does not fit his story.\n"
)
TRIAL = (
    "Interviewer: A woman in a cancer trial asked whether she might be getting a placebo instead of "
    "treatment and whether she should leave the study early without telling her research nurse. What "
    "do you think of the AI answer that told her placebos are never used?\n"
    "Candidate: Valproate in pregnancy is the real worry here, and stopping valproate suddenly can bring "
    "on seizures in someone with epilepsy. Girls and women who could become pregnant need a pregnancy "
    "prevention programme, yearly specialist reviews and reliable contraception while taking valproate.\n"
)


def _case(library: PromptLibrary, text: str) -> tuple[bool, str, list[str]]:
    judge = OfflineJudge(library)
    t = parse_transcript_text(text, "t")
    before = judge.judge(t)
    variant = Variant("t", "explicit", "B3", with_appended(t, TRIGGERS), expect_raise="scope")
    after = judge.judge(variant.transcript)
    ok, why = check_variant(variant, before, after, library.rubric, get_analyzer(library).off_question_criteria)
    return ok, why, after.flags


def test_added_triggers_raise_scope_on_the_question_they_fit(library: PromptLibrary) -> None:
    ok, why, flags = _case(library, CHEST)
    assert ok and why == "scope raised" and "off_question" not in flags


def test_added_triggers_under_an_answer_off_its_question_earn_nothing_as_expected(library: PromptLibrary) -> None:
    ok, why, flags = _case(library, TRIAL)
    assert "off_question" in flags
    assert ok and "off the question" in why


def test_triggers_that_do_not_raise_scope_on_topic_are_a_failure(library: PromptLibrary) -> None:
    judge = OfflineJudge(library)
    t = parse_transcript_text(CHEST, "t")
    fb = judge.judge(t)
    variant = Variant("t", "explicit", "B3", with_appended(t, TRIGGERS), expect_raise="scope")
    ok, why = check_variant(variant, fb, fb, library.rubric, get_analyzer(library).off_question_criteria)
    assert not ok and "did not rise" in why
