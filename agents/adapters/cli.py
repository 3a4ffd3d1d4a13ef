"""The `coach` command: interview in the terminal, replay transcripts, run evals, check an endpoint."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from agents.config import Mode, Settings, load_settings
from agents.domain.library import PromptLibrary, load_library
from agents.domain.scenarios import PROFESSIONS
from agents.domain.transcript import InterviewConfig, Status, Transcript, load_transcript
from agents.errors import CoachError, ConfigurationError, TranscriptError
from agents.interview.session import InterviewSession, MessageDone, MessageStarted, Notice, Token, make_judge
from agents.reporting.report import to_json_line, to_markdown
from agents.security.files import private_umask
from agents.storage.file_store import TranscriptStore


def _library(settings: Settings) -> PromptLibrary:
    return load_library(settings.coach_prompts_dir)


def _next_piped_answer(stream: TextIO) -> str | None:
    """Piped input: the next non-blank line is the next answer (read as the interview goes)."""
    for line in iter(stream.readline, ""):
        if line.strip():
            return line.rstrip("\n")
    return None


def _prompt_answer(out: TextIO) -> str | None:
    out.write("\nYour answer (finish with an empty line; Ctrl-D to end the interview):\n> ")
    out.flush()
    lines: list[str] = []
    while True:
        line = sys.stdin.readline()
        if not line:
            return "\n".join(lines) if lines else None
        if not line.strip():
            if lines:
                return "\n".join(lines)
            continue
        lines.append(line.rstrip("\n"))


async def run_interview(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run an interview on the terminal; answers come from stdin (scriptable)."""
    library = _library(settings)
    store = TranscriptStore(settings.coach_data_dir)
    config = InterviewConfig(
        profession=args.profession,
        setting=args.setting,
        scenario_count=args.scenarios,
        max_probes=args.probes,
        seed=args.seed,
    )
    if args.resume is not None:
        transcript = _pick_resume(store, args.resume)
        session = InterviewSession.resume(transcript, settings=settings, library=library, store=store)
        answered = len(transcript.candidate_turns)
        out.write(f"Resuming interview {transcript.id}: {answered} answer(s) saved.\n\n")
        pending = session.pending_question()
        if pending is not None:
            out.write(f"Interviewer: {pending.text}\n\n")
    else:
        session = InterviewSession.new(config, settings=settings, library=library, store=store)
    interactive = sys.stdin.isatty()
    out.write(
        f"[{settings.mode.value} mode — interviewer: {session.transcript.models['interviewer']}, "
        f"judge: {session.transcript.models['judge']}]\n\n"
    )

    async def show(events: object) -> None:
        async for ev in events:  # type: ignore[attr-defined]
            if isinstance(ev, MessageStarted):
                out.write("Interviewer: ")
            elif isinstance(ev, Token):
                out.write(ev.text)
                out.flush()
            elif isinstance(ev, MessageDone):
                out.write("\n\n")
            elif isinstance(ev, Notice):
                out.write(f"(note) {ev.text}\n\n")

    if args.resume is None:
        await show(session.start())
    while not session.finished:
        if interactive:
            answer = _prompt_answer(out)
        else:
            answer = _next_piped_answer(sys.stdin)
            if answer is not None:
                out.write(f"Candidate: {answer}\n\n")
        if answer is None:
            out.write("(input ended — finishing the interview early)\n\n")
            await show(session.end_early())
            break
        await show(session.respond(answer))

    out.write("Scoring your answers…\n\n")
    feedback = await session.evaluate()
    path = store.path_for(session.transcript.id)
    if args.format == "json":
        out.write(to_json_line(feedback) + "\n")
    else:
        out.write(to_markdown(feedback) + "\n\n")
    out.write(f"Transcript saved: {path}\n")
    return 0


def _pick_resume(store: TranscriptStore, wanted: str) -> Transcript:
    """The interview to resume: the id given, or the latest unfinished one."""
    if wanted:
        transcript = store.load(wanted)
    else:
        unfinished = [t for t in store.list() if t.status is Status.IN_PROGRESS]
        if not unfinished:
            raise ConfigurationError(f"no unfinished interview in {store.transcripts}")
        transcript = unfinished[0]
    if transcript.status is not Status.IN_PROGRESS:
        raise ConfigurationError(f"interview {transcript.id} has already ended ({transcript.status.value})")
    return transcript


async def run_replay(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """Judge each file again; one report (or JSON line) per file."""
    library = _library(settings)
    if args.judge == "llm" and settings.mode is Mode.OFFLINE:
        raise ConfigurationError(
            "--judge llm needs a model endpoint: set OPENAI_API_KEY and/or OPENAI_BASE_URL "
            "(or COACH_MODE=mock for a scripted test model)."
        )
    judge = make_judge(settings, library, mode="offline" if args.judge == "offline" else "llm")
    failed = 0
    for name in args.files:
        try:
            transcript = load_transcript(Path(name), source=name)
        except TranscriptError as exc:
            failed += 1
            err.write(f"error: {exc}\n")
            if args.format == "json":
                out.write(json.dumps({"source": name, "error": str(exc)}) + "\n")
            continue
        feedback = await judge.evaluate(transcript)
        feedback.source = name
        if args.format == "json":
            out.write(to_json_line(feedback) + "\n")
        else:
            out.write(f"# {name}\n\n{to_markdown(feedback)}\n\n")
        out.flush()
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test)."""
    parser = argparse.ArgumentParser(prog="coach", description="Mock-interview coach for clinical AI training roles.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("interview", help="a terminal interview; answers are read from stdin")
    p.add_argument("--profession", choices=PROFESSIONS, default=None)
    p.add_argument("--setting", choices=["uk", "us"], default=None)
    p.add_argument("--scenarios", type=int, default=3, help="number of scenario questions (1-12)")
    p.add_argument("--probes", type=int, default=1, help="follow-up probes per scenario (0-3)")
    p.add_argument("--seed", type=int, default=None, help="fix the scenario choice")
    p.add_argument("--format", choices=["md", "json"], default="md")
    p.add_argument(
        "--resume", nargs="?", const="", default=None, metavar="ID", help="carry on an unfinished interview (latest)"
    )

    r = sub.add_parser("replay", help="judge saved transcripts (JSON or plain text) again")
    r.add_argument("files", nargs="+")
    r.add_argument("--judge", choices=["offline", "llm"], default="offline")
    r.add_argument("--format", choices=["md", "json"], default="md")

    from evals.cli import add_eval_parser

    add_eval_parser(sub)

    d = sub.add_parser("doctor", help="check the configured model endpoint")
    d.add_argument("--timeout", type=float, default=20.0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point. Errors are printed in plain words; tracebacks never reach the user."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        settings = load_settings()
        private_umask()  # what the terminal saves is as private as what the browser saves
        if args.command == "interview":
            if not 1 <= args.scenarios <= 12:
                raise ConfigurationError("--scenarios must be between 1 and 12")
            if not 0 <= args.probes <= 3:
                raise ConfigurationError("--probes must be between 0 and 3")
            return asyncio.run(run_interview(args, settings, out))
        if args.command == "replay":
            return asyncio.run(run_replay(args, settings, out, err))
        if args.command == "eval":
            from evals.cli import run_eval

            return asyncio.run(run_eval(args, settings, out, err))
        if args.command == "doctor":
            from agents.adapters.doctor import run_doctor

            return asyncio.run(run_doctor(settings, out, timeout=args.timeout))
    except CoachError as exc:
        err.write(f"error: {exc}\n")
        return 2
    except ValueError as exc:  # settings validation (e.g. a bad COACH_MODE) arrives as ValueError
        err.write(f"error: configuration: {str(exc).splitlines()[0] if str(exc) else exc}\n")
        return 2
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
