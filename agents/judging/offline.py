"""Turning criterion verdicts into feedback, and the offline (rule-based) judge.

Both the offline judge and the model judge end here: `assemble_feedback` counts criteria into
scores, applies the band rule, checks every quote against the transcript and writes the
"say it explicitly" suggestion beside the sentence it would improve.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from agents.domain.feedback import CriterionResult, DimensionResult, EvidenceQuote, Feedback, JudgeKind
from agents.domain.library import PromptLibrary, load_library
from agents.domain.transcript import Role, Transcript, TurnKind
from agents.judging.analyzer import Analysis, Analyzer, normalise
from agents.judging.tasks import task_results

_SPACE = re.compile(r"\s+")


def answers_of(transcript: Transcript, limit: int | None = None) -> list[tuple[int, str, str, str]]:
    """(turn index, answer, everything the interviewer said before it, the question just asked).

    The interviewer's words are kept so that an answer restating any earlier question earns nothing,
    and so that a short reply to a direct question ("Who could be harmed?") is read in its context.
    """
    out: list[tuple[int, str, str, str]] = []
    asked: list[str] = []
    for turn in transcript.turns:
        if turn.role is Role.INTERVIEWER:
            asked.append(turn.text)
        else:
            text = turn.text[:limit] if limit else turn.text
            out.append((turn.index, text, "\n\n".join(asked), asked[-1] if asked else ""))
    return out


def _squash(text: str) -> str:
    return _SPACE.sub(" ", normalise(text, {})).strip(" \"'.,;:")


def verify_quotes(results: dict[str, CriterionResult], transcript: Transcript) -> int:
    """Drop evidence quotes that do not occur in a candidate answer; fix their turn number.

    A quote counts when, after folding case and white space, it is a substring of a candidate
    turn. Returns how many quotes were dropped. A criterion left with no quote keeps its verdict
    only if the caller decides so; this function only cleans the evidence.
    """
    answers = [(t.index + 1, _squash(t.text)) for t in transcript.turns if t.role is Role.CANDIDATE]
    dropped = 0
    for result in results.values():
        kept: list[EvidenceQuote] = []
        for ev in result.evidence:
            needle = _squash(ev.quote)
            if not needle:
                dropped += 1
                continue
            owners = [turn for turn, text in answers if needle in text]
            if not owners:
                dropped += 1
                continue
            kept.append(EvidenceQuote(quote=ev.quote, turn=ev.turn if ev.turn in owners else owners[0]))
        result.evidence = kept
    return dropped


def assemble_feedback(
    transcript: Transcript,
    results: dict[str, CriterionResult],
    library: PromptLibrary,
    analysis: Analysis,
    *,
    judge: str,
    kind: JudgeKind,
    fallback_reason: str | None = None,
    notes: Sequence[str] = (),
) -> Feedback:
    """Scores, band, missing criteria and suggestions from per-criterion verdicts."""
    rubric = library.rubric
    dimensions: dict[str, DimensionResult] = {}
    for dim in rubric.dimensions:
        crits = [results[c.id].model_copy(update={"name": c.name}) for c in dim.criteria]
        missing = [c.id for c in crits if not c.met]
        score = rubric.score(dim, len(crits) - len(missing))
        suggestion = None
        improves = None
        if missing:
            target = _first_by_priority(missing, analysis)
            suggestion = rubric.criterion(target).for_setting(analysis.setting).suggestion
            near = analysis.near_miss(target)
            if near is not None:
                improves = EvidenceQuote(quote=near.text, turn=near.turn + 1)
        dimensions[dim.id] = DimensionResult(
            id=dim.id,
            name=dim.name,
            criteria=crits,
            missing=missing,
            suggestion=suggestion,
            improves=improves,
            score=score,
        )
    scores = {d: r.score for d, r in dimensions.items()}
    band = rubric.band(scores)
    flags = list(analysis.flags)
    all_notes = list(notes)
    if "injection" in flags:
        all_notes.append(
            "Some text looked addressed to the grader rather than the interviewer; it was set aside and earned nothing."
        )
    if "jargon" in flags:
        all_notes.append(
            'Some sentences were rubric-sounding words with nothing specific in them ("escalate appropriately, '
            'safety-net robustly"), so they earned nothing. Name the harm, the sign, the route or the detail itself.'
        )
    for own in transcript.own_scenarios:
        all_notes.append(
            f"“{own.title}” is your own scenario: no scenario-specific key risks were available, so the judge "
            "applied the general criteria to the question as given."
        )
    if "off_question" in flags:
        all_notes.append(
            "An answer did not address the question it followed (it shares nothing specific with it), so the "
            "harms, triggers and routes in it earned nothing. Answer the case you are given."
        )
    return Feedback(
        source=transcript.source,
        transcript_id=transcript.id,
        rubric_version=rubric.version,
        prompt_versions=library.versions(),
        judge=judge,
        judge_kind=kind,
        fallback_reason=fallback_reason,
        dimensions=dimensions,
        scores=scores,
        band=band,
        band_meaning=next(r.describe() for r in rubric.bands if r.band is band),
        scale_max=rubric.scale.max,
        flags=flags,
        notes=all_notes,
        scenario_coverage=scenario_coverage(transcript, library),
        tasks=task_results(transcript, library),
        agreement=_agreement(library, judge if kind is JudgeKind.MODEL else "offline"),
    )


def _agreement(library: PromptLibrary, judge: str) -> str:
    measured = library.agreement_of(judge)
    if measured is not None:
        return measured.sentence()
    return "This judge has not been measured against human labels for this version of the rubric."


def _first_by_priority(missing: list[str], analysis: Analysis) -> str:
    # Prefer a missing criterion the candidate nearly met: the rewrite then sits beside their words.
    for crit in missing:
        if analysis.near_miss(crit) is not None:
            return crit
    return missing[0]


def questions_of(transcript: Transcript, min_words: int) -> list[str]:
    """For each answer, the question it follows with its follow-ups so far: from the latest
    interviewer message long enough to carry a scenario's material (probes are short) to the answer;
    for the closing question comparing cases, all that was asked. Answers to one question share its
    first line, which is how the analyzer groups them."""
    out: list[str] = []
    question: list[str] = []
    asked: list[str] = []
    for turn in transcript.turns:
        if turn.role is Role.INTERVIEWER:
            asked.append(turn.text)
            if turn.kind is TurnKind.CONSISTENCY:
                question = list(asked)
            elif len(turn.text.split()) >= min_words:
                question = [turn.text]
            elif question:
                question.append(turn.text)
        else:
            out.append("\n".join(question))
    return out


def setting_of(transcript: Transcript, library: PromptLibrary) -> str | None:
    """The candidate's health system ("uk", "us") as the interview records it, if it does."""
    if transcript.config.setting:
        return transcript.config.setting
    known = {s.id: s for s in library.scenarios}
    settings = {known[sid].setting.value for sid in transcript.scenario_ids if sid in known}
    return settings.pop() if len(settings) == 1 else None


def health_system_of(transcript: Transcript, library: PromptLibrary) -> str | None:
    """The candidate's health system: the interview's, else its scenarios', else what its
    questions name (as the analyzer reads them)."""
    asked = "\n".join(t.text for t in transcript.turns if t.role is Role.INTERVIEWER)
    return setting_of(transcript, library) or get_analyzer(library).setting_of(asked)


def scenario_coverage(transcript: Transcript, library: PromptLibrary) -> dict[str, list[str]]:
    """For interviews run by the coach: which of each scenario's key risks the answers named."""
    coverage: dict[str, list[str]] = {}
    known = {s.id for s in library.scenarios}
    for sid in transcript.scenario_ids:
        if sid not in known:
            continue
        scenario = library.scenario(sid)
        text = " ".join(
            normalise(t.text, {}) for t in transcript.turns if t.role is Role.CANDIDATE and t.scenario_id == sid
        )
        coverage[sid] = [risk.id for risk in scenario.key_risks if risk.named_in(text)]
    return coverage


@lru_cache(maxsize=4)
def _analyzer_for(root: Path) -> Analyzer:
    library = load_library(root)
    return Analyzer(library.lexicon, library.rubric)


def get_analyzer(library: PromptLibrary) -> Analyzer:
    """The analyzer for a library, compiled once and reused."""
    return _analyzer_for(library.root)


class OfflineJudge:
    """The rule-based judge: the explicitness analyzer applied to the whole transcript."""

    name = "offline"

    def __init__(self, library: PromptLibrary, max_answer_chars: int | None = None) -> None:
        self.library = library
        self.analyzer = get_analyzer(library)
        self.max_answer_chars = max_answer_chars

    def analyze(self, transcript: Transcript) -> Analysis:
        """Run the analyzer over the candidate's answers (each cut to the answer budget, if set), in
        the candidate's health system: the interview's, else its scenarios' (else the analyzer reads
        it from the questions)."""
        return self.analyzer.analyze_answers(
            answers_of(transcript, self.max_answer_chars),
            setting=setting_of(transcript, self.library),
            questions=questions_of(transcript, self.analyzer.question_min_words),
        )

    def results(self, analysis: Analysis) -> dict[str, CriterionResult]:
        """Criterion verdicts with evidence from an analysis."""
        out: dict[str, CriterionResult] = {}
        for crit_id in self.library.rubric.criterion_ids:
            finding = analysis.findings[crit_id]
            out[crit_id] = CriterionResult(
                id=crit_id,
                evidence=[EvidenceQuote(quote=s.text, turn=s.turn + 1) for s in finding.evidence],
                reasoning=finding.reason,
                met=finding.met,
            )
        return out

    async def evaluate(self, transcript: Transcript) -> Feedback:
        """Async form of `judge`, so every judge can be awaited the same way."""
        return self.judge(transcript)

    def judge(
        self,
        transcript: Transcript,
        *,
        kind: JudgeKind = JudgeKind.RULE_BASED,
        fallback_reason: str | None = None,
    ) -> Feedback:
        """Score a transcript. Deterministic: the same transcript always gets the same feedback."""
        analysis = self.analyze(transcript)
        # No quote check here: every quote is a span cut from the answer it cites, so it holds by
        # construction (model judges' quotes are checked, in `LLMJudge.finish`).
        results = self.results(analysis)
        notes = ["Scores are rule-based (offline judge): they check explicit wording, not clinical depth."]
        if kind is JudgeKind.FALLBACK:
            notes.insert(0, "The model judge could not be used, so this is the offline rule-based judge's feedback.")
        return assemble_feedback(
            transcript,
            results,
            self.library,
            analysis,
            judge=self.name,
            kind=kind,
            fallback_reason=fallback_reason,
            notes=notes,
        )
