"""A scenario's reference answer as feedback shows it: each sentence with the criteria the offline
judge credits it with, and how many of the criteria its author marked it as meeting are credited."""

from __future__ import annotations

from agents.domain.feedback import ReferenceView
from agents.domain.library import PromptLibrary
from agents.domain.scenarios import Scenario
from agents.domain.transcript import Role, Transcript, TurnKind
from agents.judging.offline import OfflineJudge


def reference_transcript(scenario: Scenario) -> Transcript:
    """The reference answer as a one-answer interview on its own question."""
    t = Transcript(scenario_ids=[scenario.id], config={"setting": scenario.setting.value})  # type: ignore[arg-type]
    material = "\n\n".join(x for x in (scenario.material, scenario.question) if x)
    t.add_turn(Role.INTERVIEWER, material, TurnKind.QUESTION, scenario_id=scenario.id)
    t.add_turn(Role.CANDIDATE, scenario.reference_answer or "", TurnKind.ANSWER, scenario_id=scenario.id)
    return t


def reference_view(library: PromptLibrary, scenario: Scenario) -> ReferenceView | None:
    """The view of a scenario's reference answer, or None if it has none."""
    if not scenario.reference_answer:
        return None
    # One analysis gives both the verdicts and the sentences they rest on.
    analysis = OfflineJudge(library).analyze(reference_transcript(scenario))
    by_sentence: dict[str, list[str]] = {}
    for crit_id in library.rubric.criterion_ids:
        finding = analysis.findings[crit_id]
        for s in finding.evidence if finding.met else []:
            by_sentence.setdefault(s.text, []).append(crit_id)
    sentences = [(s.text, by_sentence.get(s.text, [])) for s in analysis.sentences]
    met = {c for c, f in analysis.findings.items() if f.met}
    return ReferenceView(
        scenario.id,
        scenario.title,
        sentences,
        list(scenario.reference_meets),
        [c for c in scenario.reference_meets if c in met],
    )
