"""The offline judge in worker processes, so judging never holds the web app's event loop.

Judging is CPU work (tens of milliseconds to seconds for long transcripts). Run on the loop, one
user's replay of several large transcripts stalls every other user's turn; in a process pool it
costs them nothing but a share of the CPU.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from agents.domain.feedback import Feedback
from agents.domain.transcript import Transcript

_worker_judge: object | None = None


def _init_worker(prompts_dir: str, max_answer_chars: int | None) -> None:
    global _worker_judge
    from agents.domain.library import load_library
    from agents.judging.offline import OfflineJudge

    _worker_judge = OfflineJudge(load_library(Path(prompts_dir)), max_answer_chars)


def _judge_in_worker(transcript_json: str) -> str:
    from agents.judging.offline import OfflineJudge

    assert isinstance(_worker_judge, OfflineJudge)
    return _worker_judge.judge(Transcript.model_validate_json(transcript_json)).model_dump_json()


def _warm() -> bool:
    return _worker_judge is not None


class PooledOfflineJudge:
    """The offline judge's verdicts, computed in a pool of worker processes (spawned, not forked,
    so no thread or lock of the web server is copied into them)."""

    name = "offline"

    def __init__(self, prompts_dir: Path, max_answer_chars: int | None, workers: int = 1) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(prompts_dir), max_answer_chars),
        )

    async def warm_up(self) -> None:
        """Start every worker and load the prompts there now, not on the first user's feedback."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._pool, _warm) for _ in range(self.workers)))

    async def evaluate(self, transcript: Transcript) -> Feedback:
        """Judge `transcript` in a worker; the event loop stays free meanwhile."""
        loop = asyncio.get_running_loop()
        raw = await loop.run_in_executor(self._pool, _judge_in_worker, transcript.model_dump_json())
        feedback = Feedback.model_validate_json(raw)
        if transcript.source and not feedback.source:
            feedback.source = transcript.source
        return feedback

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(wait=False, cancel_futures=True)
