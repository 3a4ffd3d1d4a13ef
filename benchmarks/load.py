"""Section 7 of `make bench`: many candidates at once, driven through Chainlit's socket.io protocol
(`benchmarks/candidates.py`), against real processes: one instance offline; two instances behind
nginx on PostgreSQL with one killed mid-run; model mode against a faulty loopback stub.

Every candidate logs in as a user of its own, starts an interview (2 scenarios, offline probes) and
answers with `THINK` seconds between answers (a burst far denser than people typing: each
candidate answers about twice a second). Figures, not pass/fail timings: clients, servers and
the database share this machine's cores.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.domain.transcript import Role, Transcript
from benchmarks.candidates import Candidate, CandidateResult
from benchmarks.servers import NGINX, App, nginx_server, postgres_available, postgres_server

THINK = 0.5
SECRET = "bench-secret-" + "b" * 40
Line = Callable[[str, float, str, bool, str], str]


def _users(n: int) -> str:
    return ",".join(f"u{i}:pw-{i}" for i in range(n))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _drive(
    base: str, n: int, app_rss: Callable[[], float], during: Callable[[list[Candidate]], Any] | None = None
) -> tuple[list[CandidateResult], float, float]:
    """Run n candidates at once; (results, peak RSS MB of the app processes, wall seconds)."""
    candidates = [Candidate(base, f"u{i}", f"pw-{i}", think_seconds=THINK, timeout=180) for i in range(n)]
    peak = 0.0
    started = time.perf_counter()
    tasks = [asyncio.create_task(c.run()) for c in candidates]
    watcher = asyncio.create_task(during(candidates)) if during else None
    while not all(t.done() for t in tasks):
        peak = max(peak, app_rss())
        await asyncio.sleep(0.5)
    if watcher is not None:
        await watcher
    return [t.result() for t in tasks], peak, time.perf_counter() - started


async def _saved_in_folder(data_dir: Path) -> dict[str, list[Transcript]]:
    """Every interview a data folder holds: in its SQLite database (the default store) and as files."""
    found: dict[str, list[Transcript]] = {}
    for path in (data_dir / "transcripts").glob("*.json"):
        t = Transcript.model_validate_json(path.read_text(encoding="utf-8"))
        found.setdefault(str(t.owner), []).append(t)
    if (data_dir / "interviews.db").exists():
        for owner, kept in (await saved_in_database(f"sqlite+aiosqlite:///{data_dir / 'interviews.db'}")).items():
            found.setdefault(owner, []).extend(kept)
    return found


async def saved_in_database(url: str) -> dict[str, list[Transcript]]:
    """Every interview in the database at `url`, by owner."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT body FROM coach_interviews"))).all()
    finally:
        await engine.dispose()
    found: dict[str, list[Transcript]] = {}
    for row in rows:
        t = Transcript.model_validate_json(row.body)
        found.setdefault(str(t.owner), []).append(t)
    return found


def _lost(results: list[CandidateResult], saved: dict[str, list[Transcript]]) -> int:
    """Acknowledged answers missing from (or out of order in) the candidate's saved interview."""
    lost = 0
    for r in results:
        kept = [t.text for tr in saved.get(r.user, []) for t in tr.turns if t.role is Role.CANDIDATE]
        lost += sum(1 for i, a in enumerate(r.answers) if i >= len(kept) or kept[i] != a)
    return lost


def _summary(results: list[CandidateResult], peak: float, wall: float) -> tuple[float, str]:
    turns = [s for r in results for s in r.turn_seconds]
    feedback = [r.feedback_seconds for r in results if r.feedback_seconds is not None]
    errors = sum(1 for r in results if r.errors or not r.finished)
    shown = [w for r in results for w in r.warnings]
    warnings = len(shown)
    example = f" (e.g. {shown[0][:90]!r})" if shown else ""
    failed = [e for r in results for e in r.errors]
    if failed:
        example += f"; first error: {failed[0][:120]!r}"
    p50, p95 = _pct(turns, 0.5), _pct(turns, 0.95)
    detail = (
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms over {len(turns)} turns; feedback p50 "
        f"{_pct(feedback, 0.5):.2f} s; {errors} candidate(s) with errors; {warnings} warning(s) shown{example}; "
        f"{sum(1 for r in results if r.finished)}/{len(results)} reached feedback; peak RSS {peak:.0f} MB; {wall:.0f} s"
    )
    return p95, detail


async def one_instance(line: Line, sizes: tuple[int, ...] = (10, 50, 100)) -> None:
    """7a: one instance, offline, file store (as `make run`), login on."""
    print("\n7. Many candidates over socket.io (login on, 2 scenarios each, answers every "
          f"{THINK:.1f} s; clients on this machine)")  # fmt: skip
    best = 0
    for n in sizes:
        root = Path(tempfile.mkdtemp(prefix="coach-load-"))
        app = App(root / "data", env={"COACH_AUTH_USERS": _users(n), "CHAINLIT_AUTH_SECRET": SECRET})
        app.start()
        try:
            results, peak, wall = await _drive(app.url, n, app.rss_mb)
        finally:
            app.kill()
        p95, detail = _summary(results, peak, wall)
        lost = _lost(results, await _saved_in_folder(root / "data"))
        errors = sum(1 for r in results if r.errors or not r.finished)
        if p95 <= 1.0 and errors == 0:
            best = n
        print(line(f"one instance, {n} candidates: p95 turn s", p95, "(report)", True, f"{detail}; {lost} lost"))
    print(line("largest N measured with p95 <= 1 s, 0 errors", float(best), "(report)", True, f"of {sizes}"))


async def two_instances(line: Line, n: int = 100) -> None:
    """7b: two instances behind nginx on PostgreSQL; instance a killed mid-run."""
    if not postgres_available() or NGINX is None:
        print("  two instances: PostgreSQL or nginx is not installed (apt-get install postgresql nginx); skipped")
        return
    root = Path(tempfile.mkdtemp(prefix="coach-replicas-"))
    with postgres_server(max_connections=300) as url:
        env = {"COACH_AUTH_USERS": _users(n), "CHAINLIT_AUTH_SECRET": SECRET, "COACH_DATABASE_URL": url}
        a = App(root / "a" / "data", env={**env, "COACH_INSTANCE": "a"})
        b = App(root / "b" / "data", env={**env, "COACH_INSTANCE": "b"})
        a.start()
        b.start()
        killed_at: list[float] = []
        try:
            with nginx_server({"a": f"127.0.0.1:{a.port}", "b": f"127.0.0.1:{b.port}"}, root / "nginx") as base:

                async def kill_when_under_way(candidates: list[Candidate]) -> None:
                    start = time.perf_counter()
                    while time.perf_counter() - start < 120 and min(len(c.result.answers) for c in candidates) < 2:
                        await asyncio.sleep(0.2)
                    a.kill()
                    killed_at.append(time.perf_counter() - start)

                results, peak, wall = await _drive(base, n, lambda: a.rss_mb() + b.rss_mb(), kill_when_under_way)
        finally:
            a.kill()
            b.kill()
        saved = await saved_in_database(url)
    p95, detail = _summary(results, peak, wall)
    lost = _lost(results, saved)
    moved = sum(1 for r in results if r.reconnects)
    print(line(f"two instances + nginx + PostgreSQL, {n} candidates: p95 s", p95, "(report)", True, detail))
    print(
        line(
            "  instance a SIGKILLed mid-run: answers lost",
            float(lost),
            "0",
            lost == 0,
            f"killed {killed_at[0] if killed_at else float('nan'):.1f} s in; {moved} candidate(s) moved to b; "
            f"{sum(1 for r in results if r.finished)}/{n} interviews completed",
        )
    )


async def model_mode_with_faults(line: Line, n: int = 50, fault_rate: float = 0.3) -> None:
    """7c: model mode against the loopback stub injecting faults into 30 % of calls."""
    from evals.stub import StubConfig, StubServer

    root = Path(tempfile.mkdtemp(prefix="coach-faults-"))
    with StubServer(StubConfig(latency=0.05, fault_rate=fault_rate, slow_seconds=2.0, seed=7)) as stub:
        env = {
            "COACH_AUTH_USERS": _users(n),
            "CHAINLIT_AUTH_SECRET": SECRET,
            "COACH_MODE": "openai",
            "OPENAI_BASE_URL": stub.base_url,
            "OPENAI_API_KEY": "bench-key",
            "COACH_MODEL": "stub-model",
            "COACH_RETRY_MAX_WAIT": "0.5",
        }
        app = App(root / "data", env=env)
        app.start()
        try:
            results, peak, wall = await _drive(app.url, n, app.rss_mb)
        finally:
            app.kill()
        faults = sum(stub.faults.values())
        requests = stub.requests
    lost = _lost(results, await _saved_in_folder(root / "data"))
    fallback = sum(1 for r in results if r.feedback_text and "fallback" in r.feedback_text.lower())
    reached = sum(1 for r in results if r.finished)
    _p95, detail = _summary(results, peak, wall)
    print(
        line(
            f"model mode, {n} candidates, {fault_rate:.0%} faults: answers lost",
            float(lost),
            "0",
            lost == 0 and reached == n,
            f"{reached}/{n} reached feedback ({fallback} labelled fallback); {faults} faults in {requests} "
            f"calls; {detail}",
        )
    )


async def run(line: Line, *, quick: bool = False) -> None:
    """All of section 7 (`quick`: 10 candidates only, for a fast look)."""
    await one_instance(line, (10,) if quick else (10, 50, 100))
    await two_instances(line, 20 if quick else 100)
    await model_mode_with_faults(line, 10 if quick else 50)
