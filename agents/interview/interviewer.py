"""What the interviewer says and when it probes.

The decisions — which scenario comes next, whether to probe, which criterion a probe goes after —
are made here from data and the explicitness analyzer, the same in every mode. In model mode the
model only phrases a probe (streamed); the scripted wording is always there as the fallback.
"""

from __future__ import annotations

import contextlib
import random
import re
import secrets
from collections.abc import AsyncIterator, Sequence

from langchain_core.messages import BaseMessage

from agents.domain.library import PromptLibrary
from agents.domain.rubric import Scope
from agents.domain.scenarios import PROFESSION_TABLE, Scenario, TaskKind, cue_said
from agents.errors import ModelUnavailableError
from agents.judging.analyzer import Analyzer, normalise
from agents.models.gateway import ModelGateway, human, system
from agents.privacy.scrubber import Scrubber

SETTING_NAMES = {"uk": "UK (NHS)", "us": "US"}
SETTING_TERMS = {
    "uk": "999, NHS 111, GP, A&E, pharmacist, NICE, BNF, MHRA",
    "us": "911, emergency room, urgent care, primary care provider, Poison Control, FDA, CDC",
}
PROFESSION_NAMES = {key: name for key, (_, name) in PROFESSION_TABLE.items()}


def question_markdown(scenario: Scenario, number: int, total: int, library: PromptLibrary) -> str:
    """The scenario question as shown to the candidate: header, material in quote blocks, the ask."""
    header = library.interviewer.scenario_intro
    header = header.replace("$number", str(number)).replace("$total", str(total)).replace("$title", scenario.title)
    parts = [header]
    if scenario.user_prompt:
        asked = scenario.ai_answer or scenario.responses or scenario.kind in (TaskKind.REVIEW, TaskKind.IDEAL_RESPONSE)
        label = "The user wrote to the AI:" if scenario.kind is TaskKind.IDEAL_RESPONSE else "The user asked the AI:"
        parts.append(f"**{label if asked else 'The prompt:'}**\n\n" + _quote(scenario.user_prompt))
    for message_no, message in enumerate(scenario.chat, start=1):
        who = "User" if message.role == "user" else "AI"
        parts.append(f"**Message {message_no} — {who}:**\n\n" + _quote(message.text))
    for response in scenario.responses:
        parts.append(f"**Response {response.label}:**\n\n" + _quote(response.text))
    if scenario.ai_answer:
        parts.append("**The AI answered:**\n\n" + _quote(scenario.ai_answer))
    if scenario.grading_rubric:
        # The reference grades stay with the scenario: only the items are shown.
        items = "\n".join(f"- **{g.id}** {g.text.strip()}" for g in scenario.grading_rubric)
        parts.append("**The rubric to grade it against:**\n\n" + items)
    parts.append(f"**Question:** {scenario.question.strip()}")
    return "\n\n".join(parts)


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


# The probe prompt's answer markers: "<<<ANSWER <fence>" ... "ANSWER <fence>>>".
_FENCE_IN_PROMPT = re.compile(r"<<<ANSWER ([0-9a-f]{12})")


class ProbePolicy:
    """Chooses the probe target: the highest-priority criterion the answers so far left implicit."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer

    def missing(self, answers: Sequence[tuple[int, str, str, str]], scenario: Scenario | None = None) -> list[str]:
        """Criteria in probe-priority order that these answers did not state explicitly.

        With the scenario known, naming one of its key risks (by its cues) counts as stating the
        criterion that risk belongs to, so a candidate who named this scenario's specific harm in
        words the general lexicon lacks is not asked for it again.
        """
        analysis = self.analyzer.analyze_answers(answers)
        covered: set[str] = set()
        if scenario is not None:
            said = " ".join(normalise(a[1], {}) for a in answers)
            for risk in scenario.key_risks:
                if any(cue_said(cue, said) for cue in risk.cues if len(cue) > 3):
                    covered.add(risk.criterion)
        # Cross-answer criteria (consistency) are for the consistency question, not a probe.
        rubric = self.analyzer.rubric
        per_answer = set(rubric.ids_where(scope=Scope.ANSWER))
        # The lexicon's priority first; criteria it does not rank (a newly added one) after, in rubric order.
        order = [
            *self.analyzer.probe_priority,
            *(c for c in rubric.criterion_ids if c not in self.analyzer.probe_priority),
        ]
        return [c for c in order if c in per_answer and not analysis.findings[c].met and c not in covered]

    def choose(
        self,
        answers: Sequence[tuple[int, str, str, str]],
        already: Sequence[str],
        scenario: Scenario | None = None,
        focus: Sequence[str] = (),
    ) -> str | None:
        """The criterion to probe next, or None when nothing important is missing. In a drill the
        criteria being drilled come first."""
        missing = self.missing(answers, scenario)
        missing = [c for c in missing if c in focus] + [c for c in missing if c not in focus]
        for crit in missing:
            if crit not in already:
                return crit
        return None


class Interviewer:
    """Produces interviewer messages; phrases probes with the model when one is configured."""

    def __init__(
        self,
        library: PromptLibrary,
        analyzer: Analyzer,
        *,
        gateway: ModelGateway | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.library = library
        self.policy = ProbePolicy(analyzer)
        self.gateway = gateway
        self.rng = rng or random.Random()
        self.redactor = Scrubber(allow_file=library.privacy_allow_file)
        script = library.interviewer
        self._meta = [re.compile(p, re.I) for p in script.meta_request_patterns]

    def is_meta_request(self, text: str) -> bool:
        """True when the message asks for the answer, rubric or instructions rather than answering."""
        words = len(text.split())
        return words <= self.library.interviewer.meta_request_max_words and any(p.search(text) for p in self._meta)

    def is_skip(self, text: str) -> bool:
        """True when the candidate asks to move on."""
        return text.strip().lower().rstrip(".!") in self.library.interviewer.skip_words

    def probe_text(self, scenario: Scenario, target: str) -> str:
        """The scripted probe for a target criterion (scenario hint first, else the rubric's)."""
        criterion = self.library.rubric.criterion(target).for_setting(scenario.setting.value)
        hint = scenario.probe_hints.get(target) or criterion.probe
        prefix = self.rng.choice(self.library.interviewer.probe_prefixes)
        return f"{prefix} {hint}"

    def probe_messages(
        self, scenario: Scenario, target: str, answer: str, profession: str, setting: str
    ) -> list[BaseMessage]:
        """The probe request: stable system prompt first, then the scenario, the answer and the target."""
        criterion = self.library.rubric.criterion(target).for_setting(scenario.setting.value)
        hint = scenario.probe_hints.get(target) or criterion.probe
        sys_text = self.library.template("interviewer_system").render(
            profession=PROFESSION_NAMES.get(profession, "clinician"),
            setting_name=SETTING_NAMES.get(setting, "UK (NHS)"),
            setting_terms=SETTING_TERMS.get(setting, SETTING_TERMS["uk"]),
            criteria=self.library.criteria_brief(),
        )
        # Unguessable, unlike the interview's own random stream (seeded by the visible interview id):
        # a candidate who could predict the fence could close it and write outside their answer.
        fence = secrets.token_hex(6)
        user_text = self.library.template("interviewer_probe").render(
            title=scenario.title,
            scenario_text=scenario.question.strip(),
            fence=fence,
            answer=self.redactor.scrub(answer).text,
            target_description=self.library.rubric.criterion(target).text,
            probe_hint=hint,
        )
        return [system(sys_text), human(user_text)]

    async def phrase_probe(
        self, scenario: Scenario, target: str, answer: str, profession: str, setting: str
    ) -> AsyncIterator[str]:
        """Stream the probe. Model mode rephrases it to fit the answer; any failure yields the script."""
        scripted = self.probe_text(scenario, target)
        if self.gateway is None:
            yield scripted
            return
        messages = self.probe_messages(scenario, target, answer, profession, setting)
        fence = _FENCE_IN_PROMPT.search(str(messages[-1].content))
        # A weak model may echo the prompt, markers and the candidate's answer included. Text is
        # held back until it cannot be the start of a marker; the probe ends where one begins.
        markers = ["<<<ANSWER", "ANSWER " + fence.group(1)] if fence else ["<<<ANSWER"]
        hold = max(len(m) for m in markers)
        produced: list[str] = []
        pending = ""
        leaked = False
        try:
            async with contextlib.aclosing(self.gateway.stream(messages)) as stream:
                async for piece in stream:
                    pending += piece
                    cut = min((i for i in (pending.find(m) for m in markers) if i >= 0), default=-1)
                    if cut >= 0:
                        pending, leaked = pending[:cut], True
                        break
                    if len(pending) > hold:
                        safe, pending = pending[:-hold], pending[-hold:]
                        produced.append(safe)
                        yield safe
        except ModelUnavailableError:
            if not produced:
                yield scripted
                return
            raise
        if pending and (not leaked or pending.strip()):
            produced.append(pending)
            yield pending
        if not "".join(produced).strip():
            yield scripted
