"""Judging while the candidate answers, so feedback arrives about one judge call after the last answer.

When a scenario's answers (with their probes) are complete, that part of the transcript is judged in
the background on the criteria a single answer can show. At the end only the cross-answer criteria
(consistency) and any scenario not yet judged remain; they run together. Any failure falls back
exactly like the end-of-interview judge: the offline judge's feedback, labelled.

A finished part's verdicts are kept in the repository under a key naming exactly what was judged
(the part's turns, the criteria, the rubric and the judge), so when an instance dies mid-interview
the one that resumes it reuses what was finished and redoes only what was not.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from typing import Protocol

from agents.domain.feedback import CriterionResult, Feedback, JudgeKind
from agents.domain.rubric import Direction, Rubric, Scope
from agents.domain.transcript import Role, Transcript, Turn
from agents.errors import ModelUnavailableError
from agents.judging.model_judge import JudgeOutputError, LLMJudge

logger = logging.getLogger("coach.judging")


class PartStore(Protocol):
    """Where finished parts are kept (the transcript repository)."""

    async def save_part(self, transcript_id: str, part_key: str, body: str) -> None: ...

    async def load_part(self, transcript_id: str, part_key: str) -> str | None: ...


def part_key(part: Transcript, criteria: list[str], versions: dict[str, str], judge: str) -> str:
    """A hash naming exactly what a part's verdicts were made from: the same key, the same verdicts."""
    what = {
        "turns": [[t.index, t.role.value, t.text] for t in part.turns],
        "criteria": sorted(criteria),
        "versions": versions,
        "judge": judge,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode("utf-8")).hexdigest()[:40]


def segment(transcript: Transcript, scenario_id: str) -> Transcript:
    """The part of the transcript about one scenario, keeping original turn numbers. The first
    scenario's part starts with the interview's opening too, so that it begins exactly as the
    whole transcript does and the final call repeats it as a prefix a provider can cache."""
    part = transcript.model_copy(deep=True)
    first = transcript.scenario_ids[0] if transcript.scenario_ids else None
    opening: list[Turn] = []
    if scenario_id == first:
        for turn in part.turns:
            if turn.scenario_id is not None:
                break
            opening.append(turn)
    part.turns = opening + [t for t in part.turns if t.scenario_id == scenario_id]
    return part


def merge(
    rubric: Rubric, parts: list[dict[str, CriterionResult]], cross: dict[str, CriterionResult]
) -> dict[str, CriterionResult]:
    """Combine per-scenario verdicts: met anywhere for criteria met when stated, never violated for
    those met unless violated, and the cross-answer (interview-scope) criteria from the final call."""
    merged: dict[str, CriterionResult] = dict(cross)
    negative = set(rubric.ids_where(direction=Direction.UNLESS_VIOLATED))
    for crit in rubric.ids_where(scope=Scope.ANSWER):
        verdicts = [p[crit] for p in parts if crit in p]
        if not verdicts:
            merged[crit] = CriterionResult(id=crit, reasoning="no answers to judge", met=False)
            continue
        if crit in negative:
            failing = [v for v in verdicts if not v.met]
            chosen = failing[0] if failing else verdicts[0]
        else:
            meeting = [v for v in verdicts if v.met]
            chosen = meeting[0] if meeting else verdicts[0]
        evidence = [e for v in verdicts if v.met == chosen.met for e in v.evidence][:2]
        merged[crit] = CriterionResult(id=crit, evidence=evidence, reasoning=chosen.reasoning, met=chosen.met)
    return merged


class IncrementalJudge:
    """Wraps the model judge: `scenario_done` starts background work; `evaluate` finishes it."""

    def __init__(self, judge: LLMJudge, parts: PartStore | None = None) -> None:
        self.judge = judge
        self.parts = parts
        rubric = judge.library.rubric
        # Interview-scope criteria need every answer at once: judged in the final call.
        self.per_segment = rubric.ids_where(scope=Scope.ANSWER)
        self.cross_answer = rubric.ids_where(scope=Scope.INTERVIEW)
        self.tasks: dict[str, asyncio.Task[dict[str, CriterionResult]]] = {}

    @property
    def name(self) -> str:
        """The judge model's name."""
        return self.judge.name

    async def _cross(self, transcript: Transcript) -> dict[str, CriterionResult]:
        # A rubric with no cross-answer criteria needs no final call.
        return await self.judge.verdicts(transcript, self.cross_answer) if self.cross_answer else {}

    def scenario_done(self, transcript: Transcript, scenario_id: str) -> None:
        """Judge one scenario's answers in the background; never blocks the next question."""
        if scenario_id in self.tasks:
            return
        part = segment(transcript, scenario_id)
        if not any(t.role is Role.CANDIDATE for t in part.turns):
            return
        self.tasks[scenario_id] = asyncio.create_task(self._part(transcript.id, part))

    async def _part(self, transcript_id: str, part: Transcript) -> dict[str, CriterionResult]:
        """One part's verdicts: kept ones if this exact part was judged (here or on another
        instance), else the judge's, kept for next time. A storage failure costs a re-judging only."""
        key = part_key(part, self.per_segment, self.judge.library.versions(), self.judge.name)
        if self.parts is not None:
            try:
                kept = await self.parts.load_part(transcript_id, key)
                if kept is not None:
                    return {k: CriterionResult.model_validate(v) for k, v in json.loads(kept).items()}
            except Exception as exc:  # reading the cache must never stop the judging
                logger.warning("kept verdicts could not be read (%s); judging the part again", type(exc).__name__)
        results = await self.judge.verdicts(part, self.per_segment)
        if self.parts is not None:
            body = json.dumps({k: v.model_dump(mode="json") for k, v in results.items()})
            try:
                await self.parts.save_part(transcript_id, key, body)
            except Exception as exc:  # the verdicts are in hand; keeping them is a bonus
                logger.warning("verdicts could not be kept (%s)", type(exc).__name__)
        return results

    async def evaluate(self, transcript: Transcript) -> Feedback:
        """Finish: judge what is left and the cross-answer criteria together, then merge."""
        for sid in transcript.scenario_ids:
            self.scenario_done(transcript, sid)
        cross = asyncio.create_task(self._cross(transcript))
        try:
            parts = list(await asyncio.gather(*self.tasks.values()))
            cross_results = await cross
        except (ModelUnavailableError, JudgeOutputError) as exc:
            for task in [*self.tasks.values(), cross]:
                task.cancel()
            for task in [*self.tasks.values(), cross]:
                with contextlib.suppress(BaseException):
                    await task
            reason = (
                str(exc)
                if isinstance(exc, ModelUnavailableError)
                else f"The judge model's replies could not be used ({exc})."
            )
            return self.judge.offline.judge(transcript, kind=JudgeKind.FALLBACK, fallback_reason=reason)
        results = merge(self.judge.library.rubric, parts, cross_results)
        return self.judge.finish(transcript, results)
