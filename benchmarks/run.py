"""`make bench`: the performance figures, printed as ratios against their goals.

Runs against a loopback OpenAI-compatible stub with a fixed latency per call (and streaming), so the
figures measure this code, not a provider. Not a test: it prints numbers and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.config import load_settings  # noqa: E402
from agents.domain.library import load_library  # noqa: E402
from agents.domain.transcript import InterviewConfig, TurnKind  # noqa: E402
from agents.interview.session import InterviewSession, MessageDone  # noqa: E402
from agents.judging.model_judge import LLMJudge  # noqa: E402
from agents.judging.offline import OfflineJudge, get_analyzer  # noqa: E402
from agents.models.gateway import ModelGateway, ResponseCache  # noqa: E402
from agents.storage.file_store import TranscriptStore  # noqa: E402
from evals.dataset import DEFAULT_DATASET, load_dataset  # noqa: E402
from evals.runner import run_bounded  # noqa: E402
from evals.stub import StubConfig, StubProcess, StubServer  # noqa: E402

VAGUE = "I'd want them seen by someone, it's hard to say more."


def _last_interviewer_request(session: InterviewSession) -> list[dict[str, Any]]:
    """The messages of the engine's last probe request, as the raw client would send them."""
    gateway = session.interviewer.gateway
    assert gateway is not None
    scenario = session.scenarios[session.position]
    turn = session.transcript.turns[-1]
    config = session.transcript.config
    answer = session.transcript.turns[-2].text
    messages = session.interviewer.probe_messages(
        scenario, turn.probe_target or "B4", answer, config.profession or "doctor", config.setting or "uk"
    )
    return [{"role": "system" if m.type == "system" else "user", "content": str(m.content)} for m in messages]


def _env(stub: StubServer | StubProcess, **extra: str) -> None:
    for key in [k for k in os.environ if k.startswith(("COACH_", "OPENAI_"))]:
        del os.environ[key]
    os.environ.update(
        OPENAI_BASE_URL=stub.base_url,
        OPENAI_API_KEY="bench-key",
        COACH_MODEL="stub-model",
        COACH_DATA_DIR=tempfile.mkdtemp(prefix="coach-bench-"),
        COACH_RETRY_MAX_WAIT="0",
        **extra,
    )


async def _session(settings: Any, library: Any, config: InterviewConfig) -> InterviewSession:
    """A new interview saved under the run's data folder."""
    return await InterviewSession.new(
        config, settings=settings, library=library, store=TranscriptStore(settings.coach_data_dir)
    )


async def _drive(session: InterviewSession, answer: str, pause: float = 0.0) -> None:
    """Answer every question with the same text until the interview ends."""
    async for _ in session.start():
        pass
    while not session.finished:
        async for _ in session.respond(answer):
            pass
        await asyncio.sleep(pause)


def _line(name: str, value: float, goal: str, ok: bool, detail: str) -> str:
    return f"  {name:<48} {value:>8.3f}   goal {goal:<8} {'met' if ok else 'MISSED':<7} {detail}"


async def engine_overhead(latency: float, turns: int) -> tuple[float, str]:
    """Interviewer turn through the engine vs the same request with the raw openai client."""
    import openai

    with StubProcess(latency=latency) as stub:
        _env(stub)
        settings = load_settings()
        library = load_library(settings.coach_prompts_dir)
        store = TranscriptStore(settings.coach_data_dir)
        engine_times: list[float] = []
        last_messages: list[dict[str, Any]] = []
        while len(engine_times) < turns:
            session = await InterviewSession.new(
                InterviewConfig(scenario_count=1, max_probes=3, seed=len(engine_times)),
                settings=settings,
                library=library,
                store=store,
            )
            async for _ in session.start():
                pass
            for _ in range(3):
                started = time.perf_counter()
                kinds = [ev.turn.kind async for ev in session.respond(VAGUE) if isinstance(ev, MessageDone)]
                elapsed = time.perf_counter() - started
                if kinds == [TurnKind.PROBE]:
                    engine_times.append(elapsed)
                    last_messages = _last_interviewer_request(session)
        client = openai.AsyncOpenAI(base_url=stub.base_url, api_key="bench-key", max_retries=0)
        raw_times = []
        for _ in range(turns):
            started = time.perf_counter()
            stream = await client.chat.completions.create(
                model="stub-model", messages=last_messages, stream=True, temperature=0.4
            )
            async for _chunk in stream:
                pass
            raw_times.append(time.perf_counter() - started)
        await client.close()
    engine, raw = statistics.median(engine_times), statistics.median(raw_times)
    return engine / raw, f"engine {engine * 1000:.1f} ms vs raw client {raw * 1000:.1f} ms per turn (median of {turns})"


async def feedback_wait(
    latency: float, questions: int, incremental: bool, costs: TokenCosts | None = None
) -> tuple[float, float]:
    """Seconds from the last answer to feedback, and one judge call's latency, for an interview
    (`costs`: a stub whose latency grows with tokens, as a real server's does)."""
    per_token = {"prefill_per_token": costs.prefill, "decode_per_token": costs.decode} if costs else {}
    with StubProcess(latency=costs.fixed if costs else latency, **per_token) as stub:
        _env(stub, COACH_INCREMENTAL_JUDGE="true" if incremental else "false")
        settings = load_settings()
        library = load_library(settings.coach_prompts_dir)
        session = await _session(
            settings, library, InterviewConfig(scenario_count=questions, max_probes=0, seed=questions)
        )
        # Between answers the candidate reads and types; meanwhile earlier scenarios are judged.
        pause = (costs.pause if costs else latency) * 1.5
        await _drive(session, "The AI should not diagnose; call 999 now because this could be serious.", pause)
        started = time.perf_counter()
        await session.evaluate()
        wait = time.perf_counter() - started
        judge = LLMJudge(settings, library)
        one = session.transcript.model_copy(deep=True)
        first = session.transcript.scenario_ids[0]
        one.turns = [t for t in one.turns if t.scenario_id == first]
        started = time.perf_counter()
        await judge.verdicts(one)
        single = time.perf_counter() - started
    return wait, single


@dataclass(frozen=True)
class TokenCosts:
    """What one call costs on a real server: a fixed part, prefill per prompt token, decode per
    completion token (seconds), and a pause between answers long enough for a background call."""

    fixed: float
    prefill: float
    decode: float
    pause: float


def measure_token_costs(samples: int = 3) -> TokenCosts | None:
    """The constants of llama.cpp's llama-server with the small real model on this machine (median
    of `samples` judge-sized calls, prompt cache off, from the server's own timings); None when the
    tier is not installed."""
    import json
    import urllib.request

    from benchmarks.servers import LLAMA_MODEL_NAME, llama_binary, llama_weights, start_llama_server

    if llama_binary() is None or llama_weights() is None:
        return None
    transcript = " ".join(["The AI should tell her to call 999 now because the pain may be her heart."] * 50)
    fixed, prefill, decode = [], [], []
    with start_llama_server() as base:
        for i in range(samples + 1):  # the first call warms the model up and is not counted
            body = {
                "model": LLAMA_MODEL_NAME,
                "messages": [{"role": "system", "content": f"Judge {i}."}, {"role": "user", "content": transcript}],
                "max_tokens": 64,
                "temperature": 0,
                "cache_prompt": False,
            }
            request = urllib.request.Request(
                f"{base}/chat/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=300) as resp:
                timings = json.load(resp)["timings"]
            wall = time.perf_counter() - started
            if i == 0:
                continue
            prefill.append(timings["prompt_per_token_ms"] / 1000)
            decode.append(timings["predicted_per_token_ms"] / 1000)
            fixed.append(max(0.0, wall - (timings["prompt_ms"] + timings["predicted_ms"]) / 1000))
    costs = TokenCosts(statistics.median(fixed), statistics.median(prefill), statistics.median(decode), 0.0)
    # A per-scenario judge call is about 1,500 prompt and 150 completion tokens: answers come slower.
    return TokenCosts(costs.fixed, costs.prefill, costs.decode, costs.fixed + 1500 * costs.prefill + 150 * costs.decode)


async def eval_throughput(latency: float, n: int, concurrency: int) -> tuple[float, float, int]:
    """Efficiency (ideal N·L/C over actual) of judging N transcripts; and calls made on a cached rerun."""
    samples = (load_dataset(DEFAULT_DATASET) * 2)[:n]
    with StubProcess(latency=latency) as stub:
        _env(stub)
        settings = load_settings()
        library = load_library(settings.coach_prompts_dir)
        cache = ResponseCache(Path(tempfile.mkdtemp(prefix="coach-cache-")))
        gateway = ModelGateway(settings, "judge", cache=cache)
        judge = LLMJudge(settings, library, gateway=gateway)
        # Distinct transcripts per slot so the cache cannot serve the first pass.
        transcripts = []
        for i, s in enumerate(samples):
            t = s.transcript.model_copy(deep=True)
            t.turns[0].text += f" (variant {i})"
            transcripts.append(t)
        # Untimed first: one call per slot, which opens the client's connections and pays its
        # one-off costs (lazy imports); the figure is the steady rate an eval run then keeps up.
        warm = [s.transcript.model_copy(deep=True) for s in samples[:concurrency]]
        for t in warm:
            t.turns[0].text += " (warm-up)"
        await asyncio.gather(*(judge.evaluate(t) for t in warm))
        started = time.perf_counter()
        await run_bounded(transcripts, judge.evaluate, concurrency=concurrency, label="bench", quiet=True)
        actual = time.perf_counter() - started
        before = gateway.stats.calls
        await run_bounded(transcripts, judge.evaluate, concurrency=concurrency, label="bench", quiet=True)
        rerun_calls = gateway.stats.calls - before
    ideal = n * latency / concurrency
    return ideal / actual, actual, rerun_calls


def offline_speed() -> tuple[float, float, float, float, int]:
    """Transcripts per second on one core (cold caches; best and median of nine runs), tracemalloc
    peak MiB, max RSS MiB, count."""
    library = load_library(ROOT / "prompts")
    transcripts = [s.transcript for s in load_dataset(DEFAULT_DATASET)]
    transcripts += [s.transcript for s in load_dataset(DEFAULT_DATASET.parent / "judge_holdout_v1")]
    analyzer = get_analyzer(library)
    judge = OfflineJudge(library)
    judge.judge(transcripts[0])  # compile once, as the app does at start
    # Best of nine cold runs, as timeit reports: on a shared machine noise only ever adds time.
    runs = []
    for _ in range(9):
        analyzer.lex._hit.cache_clear()
        analyzer.keys.clear()
        started = time.perf_counter()
        for t in transcripts:
            judge.judge(t)
        runs.append(time.perf_counter() - started)
    elapsed = min(runs)
    # Memory in a second pass: tracing allocations slows Python down too much to time with it on.
    analyzer.lex._hit.cache_clear()
    analyzer.keys.clear()
    tracemalloc.start()
    for t in transcripts:
        judge.judge(t)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return len(transcripts) / elapsed, len(transcripts) / statistics.median(runs), peak / 2**20, rss, len(transcripts)


def offline_speed_in_own_process() -> tuple[float, float, float, float, int]:
    """`offline_speed` in a fresh process (single-threaded, so on one core at a time), so that the
    other figures' heap does not colour it."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, "--offline-only"], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    rate, median, peak, rss, count = json.loads(out.strip().splitlines()[-1])
    return float(rate), float(median), float(peak), float(rss), int(count)


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


async def tokens_and_prefix(latency: float) -> tuple[int, int, float, int]:
    """Tokens for one full interview (prompt, completion), and the share of its prompt text that
    repeats a prefix already sent (what provider prompt caches reuse), measured on a second
    interview so the stable system prompts have been seen once, as they are in steady use."""
    with StubServer(StubConfig(latency=latency)) as stub:
        _env(stub)
        settings = load_settings()
        library = load_library(settings.coach_prompts_dir)
        prompt = completion = 0
        first_of_second = 0
        for run in range(2):
            if run == 1:
                first_of_second = len(stub.bodies)
            session = await _session(settings, library, InterviewConfig(scenario_count=3, max_probes=1, seed=9 + run))
            await _drive(session, VAGUE)
            await session.evaluate()
            gateways = [session.interviewer.gateway, getattr(session.judge, "judge", session.judge).gateway]
            prompt = sum(g.stats.prompt_tokens for g in gateways if g is not None)
            completion = sum(g.stats.completion_tokens for g in gateways if g is not None)
        texts = ["".join(f"<{m['role']}>{m['content']}" for m in body["messages"]) for body in stub.bodies]
        cached = total = 0
        for k in range(first_of_second, len(texts)):
            total += len(texts[k])
            cached += max((_common_prefix(texts[k], texts[e]) for e in range(k)), default=0)
        return prompt, completion, cached / total if total else 0.0, len(texts) - first_of_second


async def main(args: argparse.Namespace) -> None:
    latency = args.latency
    print(f"Benchmarks (stub latency {latency * 1000:.0f} ms per call, {os.cpu_count()} cores)\n")

    ratio, detail = await engine_overhead(latency, args.turns)
    print("1. Per-turn engine overhead")
    print(_line("engine / raw openai client", ratio, "<= 1.05", ratio <= 1.05, detail))

    print("\n2. Feedback wait after the last answer, in judge calls")
    for questions in (3, 8):
        for incremental in (True, False):
            wait, single = await feedback_wait(latency, questions, incremental)
            label = f"{questions} questions, {'incremental' if incremental else 'end-of-interview'}"
            goal = "<= 1.1" if incremental else "(report)"
            print(
                _line(
                    label,
                    wait / single,
                    goal,
                    (wait / single <= 1.1) or not incremental,
                    f"wait {wait * 1000:.0f} ms, one judge call {single * 1000:.0f} ms",
                )
            )

    costs = measure_token_costs()
    print("\n2b. Feedback wait, a stub whose latency grows with tokens as a real server's does")
    if costs is None:
        print("  llama.cpp tier not installed (make setup-llama): its per-token constants cannot be measured here")
    else:
        print(
            f"  constants measured from llama-server (SmolLM2-135M, 2 threads, prompt cache off): fixed "
            f"{costs.fixed * 1000:.0f} ms, prefill {costs.prefill * 1000:.2f} ms/token, decode "
            f"{costs.decode * 1000:.1f} ms/token"
        )
        for incremental in (True, False):
            wait, single = await feedback_wait(0.0, 8, incremental, costs)
            label = f"8 questions, {'incremental' if incremental else 'end-of-interview'}"
            ok = (wait / single <= 1.1) or not incremental
            goal = "<= 1.1" if incremental else "(report)"
            detail = f"wait {wait:.2f} s, one per-scenario judge call {single:.2f} s"
            print(_line(label, wait / single, goal, ok, detail))

    print(f"\n3. Eval throughput, {args.n} transcripts")
    for concurrency in (1, 4, 16):
        eff, actual, rerun = await eval_throughput(latency, args.n, concurrency)
        print(
            _line(
                f"efficiency at concurrency {concurrency}",
                eff,
                ">= 0.9",
                eff >= 0.9,
                f"{actual:.2f} s vs ideal {args.n * latency / concurrency:.2f} s; cached rerun made {rerun} calls",
            )
        )

    per_second, median, peak, rss, count = offline_speed_in_own_process()
    print("\n4. Offline judge (own process, one core, cold caches, best of 9 runs)")
    print(
        _line(
            "transcripts per second",
            per_second,
            ">= 100",
            per_second >= 100,
            f"{count} distinct transcripts; median run {median:.0f}/s; tracemalloc peak {peak:.1f} MiB; "
            f"process max RSS {rss:.0f} MiB",
        )
    )

    prompt, completion, share, calls = await tokens_and_prefix(latency)
    print("\n5. Tokens per full interview (3 scenarios, 1 probe each, model judge)")
    print(
        _line(
            "cacheable-prefix share of prompt text",
            share,
            ">= 0.8",
            share >= 0.8,
            f"{prompt} prompt + {completion} completion tokens over {calls} calls",
        )
    )

    if not args.no_speech:
        from benchmarks.speech import run as speech_figures

        await speech_figures(load_library(ROOT / "prompts"), _line)

    if not args.no_load:
        from benchmarks.load import run as load_figures

        await load_figures(_line, quick=args.quick_load)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=1.0, help="stub seconds per call")
    parser.add_argument("--turns", type=int, default=15, help="turns measured for figure 1")
    parser.add_argument("--no-speech", action="store_true", help="leave out the speech figures (section 6)")
    parser.add_argument("--no-load", action="store_true", help="leave out the many-candidates figures (section 7)")
    parser.add_argument("--quick-load", action="store_true", help="section 7 with few candidates, for a fast look")
    parser.add_argument("--load-only", action="store_true", help="only section 7")
    parser.add_argument("--n", type=int, default=48, help="transcripts for figure 3")
    parser.add_argument("--offline-only", action="store_true", help="print figure 4's numbers as JSON and stop")
    arguments = parser.parse_args()
    if arguments.offline_only:
        print(__import__("json").dumps(offline_speed()))
    elif arguments.load_only:
        from benchmarks.load import run as load_only

        asyncio.run(load_only(_line, quick=arguments.quick_load))
    else:
        asyncio.run(main(arguments))
