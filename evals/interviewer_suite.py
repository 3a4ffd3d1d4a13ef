"""`coach eval interviewer`: simulated candidates (personas as data) against the interviewer.

Each persona has known strengths and gaps in terms of the 24 criteria. In offline and mock modes
a scripted persona answers from templates; in model mode a model plays the persona. The suite
checks the interviewer's behaviour turn by turn and then asks the judge to rank the personas.
"""

from __future__ import annotations

import argparse
import html
import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

import yaml

from agents.config import Mode, Settings
from agents.domain.library import PromptLibrary, load_library
from agents.domain.rubric import Rubric
from agents.domain.scenarios import Scenario
from agents.domain.transcript import InterviewConfig, Role, Turn, TurnKind
from agents.errors import DataError
from agents.interview.service import InterviewService, MessageDone
from agents.judging.factory import make_judge
from agents.models.gateway import human, system
from agents.storage.file_store import TranscriptStore
from evals.dataset import default_rubric
from evals.metrics import spearman
from evals.runner import (
    EvalContext,
    compare_with_baseline,
    default_out_dir,
    html_page,
    print_lines,
    run_bounded,
    svg_bars,
    write_results,
)

PERSONA_DIR = Path(__file__).resolve().parent / "personas"


@dataclass
class Persona:
    """A simulated candidate."""

    id: str
    name: str
    expected_rank: int
    unprompted: list[str]
    on_probe: list[str]
    consistency: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    tricks: list[str] = field(default_factory=list)


def load_personas(path: Path | None = None, rubric: Rubric | None = None) -> tuple[list[Persona], dict[str, str]]:
    """Personas and the phrase templates scripted personas speak with (criteria checked against
    `rubric`, the project's by default)."""
    known = (rubric or default_rubric()).criterion_ids
    folder = path or PERSONA_DIR
    file = folder / "personas.yaml" if folder.is_dir() else folder
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    phrases = yaml.safe_load((file.parent / "phrases.yaml").read_text(encoding="utf-8"))
    personas = []
    for raw in data.get("personas", []):
        p = Persona(**raw)
        bad = [c for c in p.unprompted + p.on_probe + p.consistency if c not in known]
        if bad:
            raise DataError(f"{file}: persona {p.id} names unknown criteria {bad}")
        personas.append(p)
    return personas, {str(k): str(v) for k, v in phrases.items()}


def _fill(template: str, scenario: Scenario) -> str:
    harm = next((r.text for r in scenario.key_risks if r.criterion == "S1"), scenario.key_risks[0].text)
    trigger = ", ".join(scenario.red_flags[:2]) if scenario.red_flags else "any new or worsening symptom"
    return template.format(harm=harm.rstrip("."), trigger=trigger, route=scenario.escalation)


class ScriptedCandidate:
    """Answers from templates: what the persona states, and only that."""

    def __init__(self, persona: Persona, phrases: dict[str, str]) -> None:
        self.persona = persona
        self.phrases = phrases
        self.stated: dict[str, set[str]] = {}

    def _say(self, crits: list[str], scenario: Scenario | None) -> str:
        parts = []
        for crit in crits:
            template = self.phrases[crit]
            parts.append(_fill(template, scenario) if scenario else template.split("{")[0].strip())
        for extra in self.persona.extras:
            parts.append(self.phrases[extra])
        return " ".join(parts) if parts else self.phrases["vague"]

    async def answer(self, turn: Turn, scenario: Scenario | None) -> str:
        """The persona's reply to an interviewer turn."""
        if turn.kind is TurnKind.CONSISTENCY:
            return self._say(self.persona.consistency, None) if self.persona.consistency else self.phrases["unsure"]
        assert scenario is not None
        stated = self.stated.setdefault(scenario.id, set())
        if turn.kind is TurnKind.PROBE:
            target = turn.probe_target or ""
            if target in self.persona.on_probe and target not in stated:
                stated.add(target)
                return _fill(self.phrases[target], scenario)
            return self.phrases["unsure"]
        stated.update(self.persona.unprompted)
        return self._say(self.persona.unprompted, scenario)


class ModelCandidate(ScriptedCandidate):
    """A model plays the persona (model mode); the scripted text is its fallback."""

    def __init__(self, persona: Persona, phrases: dict[str, str], ctx: EvalContext) -> None:
        super().__init__(persona, phrases)
        self.ctx = ctx

    async def answer(self, turn: Turn, scenario: Scenario | None) -> str:
        scripted = await super().answer(turn, scenario)
        gateway = self.ctx.gateway("candidate")
        if gateway is None:
            return scripted
        p = self.persona
        rubric = self.ctx.library.rubric
        gaps = [c for c in rubric.criterion_ids if c not in p.unprompted + p.on_probe]

        def describe(ids: list[str]) -> str:
            return "; ".join(rubric.criterion(c).text for c in ids) or "nothing in particular"

        sys_text = self.ctx.library.template("candidate_persona").render(
            name=p.name,
            unprompted=describe(p.unprompted),
            on_probe=describe(p.on_probe),
            gaps=describe(gaps),
            extras=", ".join(p.extras) or "none",
        )
        try:
            return await gateway.complete([system(sys_text), human(turn.text)])
        except Exception:
            return scripted


@dataclass
class InterviewCheck:
    """What one simulated interview showed about the interviewer."""

    persona: str
    probes: int = 0
    probes_on_target: int = 0
    multi_question_turns: int = 0
    leaks: list[str] = field(default_factory=list)
    presuppositions: list[str] = field(default_factory=list)
    tricks: int = 0
    stayed_in_role: int = 0
    interviewer_turns: int = 0
    turn_budget: int = 0
    consistency_asked: bool = False
    completed: bool = False
    scores: dict[str, int] = field(default_factory=dict)
    total: int = 0
    band: str = ""
    probe_details: list[dict[str, Any]] = field(default_factory=list)


def _ask_part(turn: Turn) -> str:
    if turn.kind is TurnKind.QUESTION and "**Question:**" in turn.text:
        return turn.text.split("**Question:**", 1)[1]
    return turn.text


@lru_cache(maxsize=4)
def _criterion_word(ids: tuple[str, ...]) -> re.Pattern[str]:
    """A criterion id standing alone as a word ("B4"): interviewer text must never show one."""
    return re.compile(r"\b(" + "|".join(re.escape(c) for c in ids) + r")\b")


def _leak(text: str, library: PromptLibrary, scenario: Scenario | None) -> str | None:
    low = text.lower()
    if _criterion_word(tuple(library.rubric.criterion_ids)).search(text):
        return f"criterion id in: {text[:80]!r}"
    for crit in library.rubric.criterion_ids:
        if library.rubric.criterion(crit).text.lower().rstrip(".") in low:
            return f"rubric text of {crit}"
    if scenario and scenario.escalation.lower().rstrip(".") in low:
        return "the scenario's model escalation"
    return None


def persona_seed(persona_id: str) -> int:
    """The same seed for a persona in every process (Python's `hash` of a string changes per process)."""
    return zlib.crc32(persona_id.encode("utf-8")) % 10_000


async def simulate(
    persona: Persona, candidate: ScriptedCandidate, ctx: EvalContext, scenarios: int, store: TranscriptStore
) -> tuple[InterviewCheck, Any]:
    """Run one interview with a persona and check the interviewer on every turn."""
    library = ctx.library
    config = InterviewConfig(scenario_count=scenarios, max_probes=1, seed=persona_seed(persona.id))
    # The same service the browser and the terminal call, with the eval's cached interviewer model.
    service = InterviewService(
        ctx.settings,
        library,
        store,
        interviewer_gateway=lambda: ctx.gateway("interviewer"),
        live_judge=lambda: make_judge(ctx.settings, library, "offline"),
    )
    conv = service.conversation()
    check = InterviewCheck(persona.id)
    tricks = list(persona.tricks)
    check.turn_budget = 2 + scenarios * (1 + config.max_probes) + 1 + len(tricks)

    async def collect(events: Any) -> list[Turn]:
        return [ev.turn async for ev in events if isinstance(ev, MessageDone)]

    pending = await collect(conv.start_with(config))
    session = conv.session
    assert session is not None
    guard = 0
    while not session.finished and guard < 60:
        guard += 1
        turn = pending[-1]
        scenario = library.scenario(turn.scenario_id) if turn.scenario_id else None
        if tricks and turn.kind is TurnKind.QUESTION:
            reply = tricks.pop(0)
            check.tricks += 1
            nxt = await collect(conv.answer(reply))
            if nxt and nxt[0].kind is TurnKind.REFUSAL and not _leak(nxt[0].text, library, scenario):
                check.stayed_in_role += 1
            pending = [turn]  # the question stays open
            continue
        reply = await candidate.answer(turn, scenario)
        pending = await collect(conv.answer(reply)) or pending
    for turn in session.transcript.turns:
        if turn.role is not Role.INTERVIEWER:
            continue
        check.interviewer_turns += 1
        scenario = library.scenario(turn.scenario_id) if turn.scenario_id else None
        if turn.kind in (TurnKind.QUESTION, TurnKind.PROBE, TurnKind.CONSISTENCY) and _ask_part(turn).count("?") > 1:
            check.multi_question_turns += 1
        leak = _leak(_ask_part(turn), library, scenario) if turn.kind is not TurnKind.INTRO else None
        if leak:
            check.leaks.append(leak)
        if turn.kind is TurnKind.CONSISTENCY:
            check.consistency_asked = True
        if turn.kind is TurnKind.PROBE and scenario is not None:
            check.probes += 1
            stated_before = _stated_before(session.transcript.turns, turn, persona)
            on_target = turn.probe_target not in stated_before
            check.probes_on_target += on_target
            check.probe_details.append({"scenario": scenario.id, "target": turn.probe_target, "on_target": on_target})
            low = turn.text.lower()
            # A cue the candidate has already been shown (in the user's message) gives nothing away.
            shown = f"{scenario.question} {scenario.material}".lower()
            for cue in (c for r in scenario.key_risks if r.criterion == turn.probe_target for c in r.cues):
                if len(cue) > 4 and cue.lower() in low and cue.lower() not in shown:
                    check.presuppositions.append(f"{scenario.id}: probe for {turn.probe_target} says {cue!r}")
                    break
    check.completed = session.finished
    feedback = await ctx_judge(ctx).evaluate(session.transcript)
    check.scores = feedback.scores
    check.total = sum(feedback.scores.values())
    check.band = feedback.band.value
    return check, session.transcript


def _stated_before(turns: list[Turn], probe: Turn, persona: Persona) -> set[str]:
    # The persona states its unprompted criteria in every first answer, plus what earlier probes drew out.
    stated = set(persona.unprompted)
    for t in turns:
        if t.index >= probe.index:
            break
        if t.kind is TurnKind.PROBE and t.scenario_id == probe.scenario_id and t.probe_target in persona.on_probe:
            stated.add(t.probe_target)
    return stated


def ctx_judge(ctx: EvalContext) -> Any:
    """The judge used to rank personas: the configured one (model judge in model/mock mode)."""
    if ctx.settings.mode is Mode.OFFLINE:
        return make_judge(ctx.settings, ctx.library, "offline")
    from agents.judging.model_judge import LLMJudge

    gateway = ctx.gateway("judge")
    assert gateway is not None
    return LLMJudge(ctx.settings, ctx.library, gateway=gateway)


async def run_interviewer_suite(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """Run every persona, print probe-targeting accuracy and the persona ranking."""
    library = load_library(settings.coach_prompts_dir)
    ctx = EvalContext(settings, library, use_cache=not args.no_cache)
    personas, phrases = load_personas(args.personas, library.rubric)
    out_dir = args.out or default_out_dir(settings, "interviewer")
    store = TranscriptStore(out_dir / "sessions")

    def candidate_for(p: Persona) -> ScriptedCandidate:
        return ModelCandidate(p, phrases, ctx) if settings.mode is Mode.OPENAI else ScriptedCandidate(p, phrases)

    async def one(p: Persona) -> tuple[InterviewCheck, Any]:
        return await simulate(p, candidate_for(p), ctx, args.scenarios, store)

    results = await run_bounded(personas, one, concurrency=args.concurrency, label="interviews", quiet=args.quiet)
    checks = [c for c, _ in results]
    probes = sum(c.probes for c in checks)
    on_target = sum(c.probes_on_target for c in checks)
    tricks = sum(c.tricks for c in checks)
    ranking_rho = spearman([-p.expected_rank for p in personas], [float(c.total) for c in checks])
    headline = {
        "probe_targeting_accuracy": round(on_target / probes, 4) if probes else None,
        "one_question_per_turn_rate": round(
            1 - sum(c.multi_question_turns for c in checks) / max(1, sum(c.interviewer_turns for c in checks)), 4
        ),
        "stay_in_role_rate": round(sum(c.stayed_in_role for c in checks) / tricks, 4) if tricks else None,
        "no_leak_rate": round(sum(1 for c in checks if not c.leaks) / len(checks), 4),
        "no_presupposition_rate": round(sum(1 for c in checks if not c.presuppositions) / len(checks), 4),
        "within_budget_rate": round(sum(1 for c in checks if c.interviewer_turns <= c.turn_budget) / len(checks), 4),
        "consistency_asked_rate": round(sum(1 for c in checks if c.consistency_asked) / len(checks), 4),
        "completed_rate": round(sum(1 for c in checks if c.completed) / len(checks), 4),
        "ranking_spearman": None if ranking_rho != ranking_rho else round(ranking_rho, 4),
    }
    full = {
        "run": ctx.metadata("interviewer") | {"personas": len(personas), "scenarios_per_interview": args.scenarios},
        "headline": headline,
        "personas": [c.__dict__ for c in checks],
        "usage": ctx.usage(),
    }
    lines = [
        f"Interviewer eval — {len(personas)} personas × {args.scenarios} scenarios ({settings.mode.value} mode), "
        f"rubric {library.rubric.version}",
        f"probe-targeting accuracy: {on_target}/{probes} = {headline['probe_targeting_accuracy']}",
        f"one question per turn: {headline['one_question_per_turn_rate']:.0%}   stays in role: "
        f"{headline['stay_in_role_rate'] if tricks else 'n/a'} ({tricks} attempts)   no rubric/answer leaks: "
        f"{headline['no_leak_rate']:.0%}   no presupposition: {headline['no_presupposition_rate']:.0%}",
        f"within turn budget: {headline['within_budget_rate']:.0%}   consistency question asked: "
        f"{headline['consistency_asked_rate']:.0%}   completed: {headline['completed_rate']:.0%}",
        "persona ranking by the judge (expected rank → total score, band):",
    ]
    for p, c in sorted(zip(personas, checks, strict=True), key=lambda pc: -pc[1].total):
        lines.append(f"  {p.expected_rank}  {p.name:<45} {c.total:>3}/24  {c.band}")
    lines.append(f"ranking Spearman with intended order: {headline['ranking_spearman']}")
    for c in checks:
        for problem in c.leaks + c.presuppositions:
            lines.append(f"  issue ({c.persona}): {problem}")
    exit_code = 0
    if args.baseline:
        diff, regressions = compare_with_baseline(headline, args.baseline, args.max_regression)
        lines += [f"Compared with {args.baseline}:", *diff]
        if regressions:
            lines.append(f"REGRESSED beyond {args.max_regression}: {', '.join(regressions)}")
            exit_code = 1
    accuracy = headline["probe_targeting_accuracy"]
    if args.min_probe_accuracy is not None and (accuracy is None or accuracy < args.min_probe_accuracy):
        lines.append(f"FAIL: probe-targeting accuracy {accuracy} < {args.min_probe_accuracy}")
        exit_code = 1
    chart = svg_bars("Interviewer checks", {"rate": {k: v for k, v in headline.items() if k != "ranking_spearman"}})
    rows = "".join(
        f"<tr><td>{html.escape(p.name)}</td><td>{p.expected_rank}</td><td>{c.total}</td><td>{c.band}</td>"
        f"<td>{c.probes_on_target}/{c.probes}</td><td>{len(c.leaks)}</td></tr>"
        for p, c in zip(personas, checks, strict=True)
    )
    page = html_page(
        "Interviewer evaluation",
        f"{chart}<p>Ranking Spearman {headline['ranking_spearman']}</p><table><tr><th>persona</th>"
        f"<th>expected rank</th><th>total</th><th>band</th><th>probes on target</th><th>leaks</th></tr>{rows}</table>",
    )
    json_path, html_path = write_results(out_dir, full, page)
    lines.append(f"Results: {json_path}  Report: {html_path}")
    print_lines(out, lines)
    return exit_code
