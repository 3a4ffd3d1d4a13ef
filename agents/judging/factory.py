"""The one place judges are chosen: offline (in process or in worker processes), or a model judge
with its offline fallback, judging each scenario in the background during a live interview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from agents.config import Mode, Settings
from agents.domain.feedback import Feedback
from agents.domain.library import PromptLibrary
from agents.domain.transcript import Transcript
from agents.judging.offline import OfflineJudge
from agents.judging.pool import PooledOfflineJudge

if TYPE_CHECKING:  # the model judge's modules load only when a model judge is made
    from agents.judging.incremental import PartStore


class Judge(Protocol):
    """Anything that turns a transcript into feedback."""

    @property
    def name(self) -> str: ...

    async def evaluate(self, transcript: Transcript) -> Feedback: ...


def make_judge(
    settings: Settings,
    library: PromptLibrary,
    mode: str | None = None,
    *,
    incremental: bool = False,
    pool: PooledOfflineJudge | None = None,
    parts: PartStore | None = None,
) -> Judge:
    """The judge chosen by configuration (or by `mode`: "offline" or "llm").

    `incremental` (for live interviews) judges each scenario in the background as it completes;
    `pool`, when given, runs the offline judge in worker processes instead of in this one;
    `parts` keeps each scenario's finished verdicts, for whichever instance finishes the interview.
    """
    chosen = mode or ("offline" if settings.mode is Mode.OFFLINE else "llm")
    if chosen == "offline":
        return pool if pool is not None else OfflineJudge(library, settings.coach_max_answer_chars)
    from agents.judging.model_judge import LLMJudge

    judge = LLMJudge(settings, library)
    if incremental and settings.coach_incremental_judge:
        from agents.judging.incremental import IncrementalJudge

        return IncrementalJudge(judge, parts)
    return judge


def make_pool(settings: Settings) -> PooledOfflineJudge:
    """Worker processes for the offline judge (`COACH_JUDGE_WORKERS` of them)."""
    return PooledOfflineJudge(
        settings.coach_prompts_dir, settings.coach_max_answer_chars, workers=settings.coach_judge_workers
    )
