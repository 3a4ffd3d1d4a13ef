"""The `coach` command: interview in the terminal, replay transcripts, run evals, check an endpoint."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TextIO

from agents.config import Mode, Settings, load_settings
from agents.domain.feedback import Feedback
from agents.domain.library import PromptLibrary, load_library
from agents.domain.scenarios import PROFESSIONS, load_own_scenario
from agents.domain.speech import DeliveryLimits
from agents.domain.transcript import InterviewConfig, save_transcript
from agents.errors import CoachError, ConfigurationError
from agents.interview import events
from agents.interview.service import InterviewService, Upload
from agents.reporting.report import reference_markdown, to_json_line, to_markdown
from agents.security.files import private_umask
from agents.storage.factory import make_repository
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


async def _show(
    stream: AsyncIterator[events.ServiceEvent], out: TextIO, fmt: str = "md", limits: DeliveryLimits | None = None
) -> Feedback | None:
    """Service events as terminal text; returns the feedback, if the events brought any."""
    feedback: Feedback | None = None
    streamed = False
    async for ev in stream:
        if isinstance(ev, events.MessageStarted):
            out.write("Interviewer: ")
            streamed = False
        elif isinstance(ev, events.Token):
            out.write(ev.text)
            out.flush()
            streamed = True
        elif isinstance(ev, events.MessageDone):
            # A question shown again (on resuming) comes whole, without tokens.
            out.write(("" if streamed else ev.turn.text) + "\n\n")
        elif isinstance(ev, events.Notice):
            out.write(f"(note) {ev.text}\n\n")
        elif isinstance(ev, events.WelcomeBack):
            out.write(f"Resuming interview {ev.transcript_id}: {ev.answered} answer(s) saved.\n\n")
        elif isinstance(ev, events.JudgingStarted):
            out.write("Scoring your answers…\n\n")
        elif isinstance(ev, events.ReferenceReady) and fmt != "json":
            out.write(reference_markdown(ev.view) + "\n\n")
        elif isinstance(ev, events.Heard):
            out.write(f"Candidate (heard, {ev.seconds:.0f} s): {ev.text}\n\n")
        elif isinstance(ev, events.HeardFailed):
            kept = " The recording is kept." if ev.kept else ""
            out.write(f"(note) Could not use that recording: {ev.problem}.{kept}\n\n")
        elif isinstance(ev, events.FeedbackReady):
            feedback = ev.feedback
            out.write(to_json_line(ev.feedback) + "\n" if fmt == "json" else to_markdown(ev.feedback, limits) + "\n\n")
    return feedback


async def run_delete(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """`coach delete ID… | --all` for the signed-in user; `coach retention` for everyone's old ones."""
    from agents.adapters.retention import apply_retention, delete_interviews
    from agents.adapters.terminal_login import current_owner

    service = InterviewService(settings, _library(settings), make_repository(settings))
    if args.command == "retention":
        uploads = Path(os.environ.get("CHAINLIT_APP_ROOT", ".")) / ".files"
        done = await apply_retention(service, settings, uploads)
        if done is None:
            raise ConfigurationError("COACH_RETENTION_DAYS is not set: interviews are kept until deleted")
    else:
        if bool(args.ids) == bool(args.all):
            raise ConfigurationError("name the interviews to delete, or give --all (not both)")
        done = await delete_interviews(service, settings, current_owner(settings), None if args.all else args.ids)
    out.write(
        f"Deleted {len(done.interviews)} interview(s) with their feedback and recordings, {done.history_threads} "
        f"chat thread(s), {done.uploads} upload(s) and {done.cache_files} cached model call(s).\n"
    )
    return 0


def run_users(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Add, list, remove accounts or change a password (passwords read as `coach login` reads them)."""
    from agents.adapters.accounts import Accounts
    from agents.storage.factory import prepare_store

    prepare_store(settings)
    accounts = Accounts(settings)
    if args.action == "list":
        for a in accounts.all():
            out.write(f"{a.name}\t{a.role}\t{a.cohort or '-'}\n")
        return 0
    if not args.name:
        raise ConfigurationError(f"`coach users {args.action}` needs the user name")
    if args.action == "remove":
        accounts.remove(args.name)
        out.write(f"Removed {args.name}; their logins have ended (their interviews are kept).\n")
        return 0
    password = _read_password()
    if args.action == "add":
        account = accounts.add(args.name, password, args.role, args.cohort)
        where = f" in cohort {account.cohort}" if account.cohort else ""
        out.write(f"Added {account.name} ({account.role}{where}). Restart the app if this is its first account.\n")
    else:
        accounts.set_password(args.name, password)
        out.write(f"Changed the password of {args.name}; their earlier logins have ended.\n")
    return 0


async def run_progress(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Print the signed-in user's progress (every local interview with login off)."""
    import dataclasses
    import json

    from agents.adapters.terminal_login import current_owner
    from agents.reporting.progress import progress_markdown

    service = InterviewService(settings, _library(settings), make_repository(settings))
    owner = current_owner(settings)
    if args.cohort:
        from agents.adapters.accounts import Accounts
        from agents.reporting.progress import cohort_markdown

        accounts = Accounts(settings)
        cohort = accounts.cohort_of(owner) if owner is not None else None
        if cohort is None:
            raise ConfigurationError("only an educator signed in with `coach login` sees a cohort's progress")
        members = await service.cohort_progress(accounts.members(cohort))
        if args.format == "json":
            out.write(json.dumps({m: dataclasses.asdict(p) for m, p in members.items()}, default=str, indent=2) + "\n")
        else:
            out.write(cohort_markdown(cohort, members))
        return 0
    progress = await service.progress(owner)
    if args.format == "json":
        out.write(json.dumps(dataclasses.asdict(progress), default=str, indent=2) + "\n")
    else:
        hint = "Drill them: `coach interview --drill`." if progress.most_missed else None
        out.write(progress_markdown(progress, drill_hint=hint))
    return 0


async def run_interview(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Run an interview on the terminal; answers come from stdin (scriptable)."""
    from agents.adapters.terminal_login import current_owner

    owner = current_owner(settings)  # with login on, only this user's interviews
    store = make_repository(settings)
    service = InterviewService(settings, _library(settings), store)
    conv = service.conversation(owner)
    if args.resume is not None:
        resumed = conv.resume_latest(args.resume)
        opening = resumed
    else:
        config = InterviewConfig(
            profession=args.profession,
            setting=args.setting,
            scenario_count=args.scenarios,
            max_probes=args.probes,
            seed=args.seed,
        )
        own = [load_own_scenario(Path(f), args.setting) for f in args.scenario] if args.scenario else None
        opening = conv.drill(config) if args.drill else conv.start_with(config, own)
    # The pending question of a resumed interview is shown whole: it was streamed before.
    await _show(opening, out, args.format)
    session = conv.session
    if session is None:
        return 1  # nothing to drill yet: the note above says why
    out.write(
        f"[{settings.mode.value} mode — interviewer: {session.transcript.models['interviewer']}, "
        f"judge: {session.transcript.models['judge']}]\n\n"
    )
    limits = service.library.speech.delivery
    recordings = [Path(f) for f in args.audio or []]
    for recording in recordings:
        if not conv.active:
            out.write(f"(note) The interview ended before {recording} was used.\n\n")
            break
        out.write(f"[answer from {recording}]\n")
        await _show(conv.voice.answer_file(recording), out, args.format, limits)
    if recordings and conv.active:
        out.write("(recordings used up — finishing the interview)\n\n")
        await _show(conv.end(), out, args.format, limits)
    interactive = sys.stdin.isatty()
    while conv.active:
        if interactive:
            answer = _prompt_answer(out)
        else:
            answer = _next_piped_answer(sys.stdin)
            if answer is not None:
                out.write(f"Candidate: {answer}\n\n")
        if answer is None:
            out.write("(input ended — finishing the interview early)\n\n")
            await _show(conv.end(), out, args.format, limits)
            break
        await _show(conv.answer(answer), out, args.format, limits)
    where = store.path_for(session.transcript.id) if isinstance(store, TranscriptStore) else "the database"
    out.write(f"Transcript saved: {where} (interview {session.transcript.id})\n")
    return 0


async def run_replay(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """Judge each file again; one report (or JSON line) per file."""
    if args.judge == "llm" and settings.mode is Mode.OFFLINE:
        raise ConfigurationError(
            "--judge llm needs a model endpoint: set OPENAI_API_KEY and/or OPENAI_BASE_URL "
            "(or COACH_MODE=mock for a scripted test model)."
        )
    service = InterviewService(settings, _library(settings), make_repository(settings))
    with tempfile.TemporaryDirectory(prefix="coach-replay-") as held:
        uploads = [await _saved_or_file(service, settings, name, Path(held), err) for name in args.files]
        return await _replay(service, uploads, args, out, err)


async def _saved_or_file(service: InterviewService, settings: Settings, name: str, held: Path, err: TextIO) -> Upload:
    """The file as named; or, when no such file exists but an interview of that name (its id, or a
    transcript file the data folder's move put into the database) is saved, that interview."""
    path = Path(name)
    if path.exists() or path.suffix not in ("", ".json"):
        return Upload(name, name)
    from agents.adapters.terminal_login import current_owner

    try:
        transcript = await service.repository.get(path.stem, owner=current_owner(settings))
    except CoachError:
        return Upload(name, name)  # judged as the file it names: "file not found"
    where = "the interviews' database" if settings.coach_store == "database" else "the data folder"
    err.write(f"note: {name} is not a file here; judging interview {transcript.id} as saved in {where}\n")
    return Upload(name, str(save_transcript(transcript, held)))


async def _replay(
    service: InterviewService, uploads: list[Upload], args: argparse.Namespace, out: TextIO, err: TextIO
) -> int:
    failed = 0
    async for ev in service.replay(uploads, mode=args.judge):
        if isinstance(ev, events.ReplayFailed):
            failed += 1
            err.write(f"error: {ev.message}\n")
            if args.format == "json":
                out.write(json.dumps({"source": ev.name, "error": ev.message}) + "\n")
        elif isinstance(ev, events.FeedbackReady):
            if args.format == "json":
                out.write(to_json_line(ev.feedback) + "\n")
            else:
                out.write(f"# {ev.feedback.source}\n\n{to_markdown(ev.feedback)}\n\n")
            out.flush()
    return 1 if failed else 0


def run_transcribe(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Print what the speech model hears in one recording, as the judge would read it, and how it
    was delivered."""
    from agents.speech.audio import FILE_BYTES_PER_SECOND, find_speech, read_audio
    from agents.speech.engines import Request
    from agents.speech.factory import make_transcriber

    library = _library(settings)
    scenario = None
    if args.scenario:
        scenario = next((s for s in library.scenarios if s.id == args.scenario), None)
        if scenario is None:
            raise ConfigurationError(f"--scenario {args.scenario!r}: no such scenario in {settings.coach_prompts_dir}")
    limit = settings.coach_max_recording_seconds
    samples = read_audio(Path(args.file), max_bytes=int(limit * FILE_BYTES_PER_SECOND), max_seconds=limit)
    lexicon = library.speech
    hints = lexicon.hints(scenario, args.setting)
    # The audio goes to a provider only when asked for here (the browser asks before the first recording).
    transcriber = make_transcriber(settings, hosted_allowed=args.send_to_provider)
    heard = transcriber.transcribe(Request(samples, hints, lexicon.fillers))
    delivery = find_speech(samples).delivery(lexicon, heard, scenario)
    out.write(f"Heard ({transcriber.name}): {heard}\n")
    out.write(f"As the judge reads it: {lexicon.written(heard)}\n")
    out.write(
        f"Delivery: {delivery.seconds:.1f} s, {delivery.words_per_minute:.0f} words/min, {delivery.fillers} "
        f"hesitation(s), {delivery.long_pauses} long pause(s) (longest {delivery.longest_pause:.1f} s), main point "
        f"first: {'yes' if delivery.main_point_first else 'no'}\n"
    )
    return 0 if heard.strip() else 1


async def run_db(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """`coach db upgrade`, `coach export DIR`, `coach import DIR`: the interviews' database."""
    from agents.storage.factory import database_url
    from agents.storage.sql_store import SqlTranscriptStore, schema_version, upgrade

    database = SqlTranscriptStore(database_url(settings))
    try:
        if args.command == "db":
            await upgrade(database.engine)
            out.write(f"The interviews' database is at migration {await schema_version(database.engine)}.\n")
            return 0
        folder = TranscriptStore(Path(args.folder))
        source, target = (database, folder) if args.command == "export" else (folder, database)
        copied = skipped = 0
        for transcript in await source.interviews():
            if await target.restore(transcript):
                copied += 1
                result = await source.load_feedback(transcript.id)
                if result is not None:
                    await target.save_feedback(transcript.id, result)
            else:
                skipped += 1
        where = f"{args.folder}" if args.command == "export" else "the database"
        out.write(f"{copied} interview(s) copied to {where}; {skipped} already there, left as they were.\n")
        return 0
    finally:
        await database.close()


def _read_password() -> str:
    """The password: asked for without echo at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\n")


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
    p.add_argument("--drill", action="store_true", help="drill the two criteria you missed most lately")
    p.add_argument(
        "--scenario",
        action="append",
        type=str,
        metavar="FILE",
        help="be interviewed on your own scenario (YAML: title, question, optionally user_prompt and ai_answer)",
    )

    p.add_argument(
        "--audio",
        nargs="+",
        metavar="FILE",
        help="answer by recordings, one file (WAV, MP3, WebM) per answer, in order",
    )

    t = sub.add_parser("transcribe", help="what the speech model hears in a recording, and its delivery figures")
    t.add_argument("file")
    t.add_argument("--setting", choices=["uk", "us"], default=None, help="hint this health system's services")
    t.add_argument("--scenario", default=None, metavar="ID", help="hint this bank scenario's clinical terms")
    t.add_argument(
        "--send-to-provider",
        action="store_true",
        help="with COACH_STT=hosted (openai mode's default), send the audio to the provider; else the local model",
    )

    r = sub.add_parser("replay", help="judge saved transcripts (JSON or plain text) again")
    r.add_argument("files", nargs="+")
    r.add_argument("--judge", choices=["offline", "llm"], default="offline")
    r.add_argument("--format", choices=["md", "json"], default="md")

    from evals.cli import add_eval_parser

    add_eval_parser(sub)

    lg = sub.add_parser("login", help="sign the terminal in as a user (when COACH_AUTH_USERS turns login on)")
    lg.add_argument("--user", required=True)
    sub.add_parser("logout", help="end the terminal's login (and that user's browser logins, as a browser logout does)")

    db = sub.add_parser("db", help="the interviews' database (COACH_DATABASE_URL, else SQLite in the data folder)")
    db.add_argument("action", choices=["upgrade"], help="apply the schema migrations")
    e = sub.add_parser("export", help="copy every interview from the database to a folder of JSON files")
    e.add_argument("folder")
    i = sub.add_parser("import", help="copy every interview from a folder (a data folder) into the database")
    i.add_argument("folder")

    dp = sub.add_parser("deploy", help="configuration for several instances behind a load balancer")
    dp.add_argument("target", choices=["nginx"])
    dp.add_argument(
        "--instance",
        action="append",
        default=[],
        metavar="NAME=HOST:PORT",
        help="an instance: its COACH_INSTANCE name and address (repeat for each)",
    )
    dp.add_argument("--listen", default="80", help="nginx's listen address (default 80)")
    dp.add_argument("--standalone", metavar="PREFIX", help="write a whole nginx.conf with every file under PREFIX")

    pg = sub.add_parser("progress", help="your scores across your interviews, and what you leave unsaid most often")
    pg.add_argument("--format", choices=["md", "json"], default="md")
    pg.add_argument("--cohort", action="store_true", help="an educator: the progress of the cohort you teach")

    dl = sub.add_parser("delete", help="delete your interviews from every copy (transcripts, feedback, history)")
    dl.add_argument("ids", nargs="*", metavar="ID", help="the interviews to delete")
    dl.add_argument("--all", action="store_true", help="every one of your interviews")
    sub.add_parser("retention", help="delete now what is older than COACH_RETENTION_DAYS, everywhere")

    us = sub.add_parser("users", help="accounts in the database (a cohort's candidates and educators)")
    us.add_argument("action", choices=["add", "list", "remove", "password"])
    us.add_argument("name", nargs="?", help="the user name (add, remove, password)")
    us.add_argument("--role", choices=["candidate", "educator"], default="candidate")
    us.add_argument("--cohort", default=None, help="the cohort the user belongs to (an educator: teaches)")

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
        if args.command == "login":
            from agents.adapters.terminal_login import login

            login(settings, args.user, _read_password())
            out.write(f"Signed in as {args.user}.\n")
            return 0
        if args.command == "logout":
            from agents.adapters.terminal_login import logout

            who = logout(settings)
            out.write(f"Signed out {who}.\n" if who else "Nobody was signed in.\n")
            return 0
        if args.command in ("db", "export", "import"):
            return asyncio.run(run_db(args, settings, out))
        if args.command in ("delete", "retention"):
            return asyncio.run(run_delete(args, settings, out))
        if args.command == "users":
            return run_users(args, settings, out)
        if args.command == "progress":
            return asyncio.run(run_progress(args, settings, out))
        if args.command == "deploy":
            from agents.adapters.deploy import nginx_config, parse_instances, standalone_config

            text = nginx_config(parse_instances(args.instance), args.listen)
            out.write(standalone_config(text, Path(args.standalone).resolve()) if args.standalone else text)
            return 0
        if args.command == "transcribe":
            return run_transcribe(args, settings, out)
        if args.command == "replay":
            return asyncio.run(run_replay(args, settings, out, err))
        if args.command == "eval":
            from evals.cli import run_eval

            return asyncio.run(run_eval(args, settings, out, err))
        if args.command == "doctor":
            from agents.interview.doctor import run_doctor

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
