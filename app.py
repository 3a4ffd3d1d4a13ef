"""Chainlit adapter: wires browser events to the interview engine in `agents/`.

Every decision (what to ask, whether to probe, scoring) is made by the engine; this file only
turns engine events into Chainlit messages and Chainlit events into engine calls.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.input_widget import Select, Slider
from chainlit.types import ThreadDict

from agents.adapters.choices import (
    PROFESSION_LABELS,
    QUICK_STARTS,
    SETTING_LABELS,
    SettingsProblem,
    config_from_choices,
    parse_start_command,
    profile_description,
    resumable,
)
from agents.adapters.doctor import DoctorReport, diagnose
from agents.adapters.web.auth import auth_users, ensure_auth_secret, make_data_layer
from agents.adapters.web.hardening import install_request_guard, install_session_guards, install_token_policy
from agents.config import Mode, Settings, load_settings
from agents.domain.feedback import Feedback
from agents.domain.library import PromptLibrary, load_library
from agents.domain.transcript import Transcript, TurnKind, load_transcript
from agents.errors import CoachError, ConflictError, TranscriptError
from agents.interview.session import (
    Event,
    InterviewSession,
    MessageDone,
    MessageStarted,
    Notice,
    Token,
    make_judge,
)
from agents.judging.pool import PooledOfflineJudge
from agents.reporting.charts import scores_figure
from agents.reporting.report import details_markdown, summary_markdown, to_html, to_markdown
from agents.security.files import private_umask, tighten_tree
from agents.security.markdown import md_inline
from agents.security.tokens import FileRevocations, TokenPolicy
from agents.security.web import parse_origins
from agents.storage.file_store import TranscriptStore

# Keys in cl.user_session (named once, used everywhere).
KEY_SESSION = "interview_session"
KEY_TRANSCRIPT_ID = "transcript_id"  # JSON-serialisable, so Chainlit keeps it in thread metadata
KEY_CHOICES = "chat_settings"
PROFILE_PRACTICE = "Practice"
PROFILE_REALISTIC = "Realistic"

ACTION_END = "end_interview"
ACTION_NEW = "new_interview"

MAX_REPLAY_FILES = 5  # per message; more are refused with a message, not judged

private_umask()  # transcripts, history and secrets are personal data: 0600 files in a 0700 folder
SETTINGS: Settings = load_settings()
tighten_tree(SETTINGS.coach_data_dir)
LIBRARY: PromptLibrary = load_library(SETTINGS.coach_prompts_dir)
STORE = TranscriptStore(SETTINGS.coach_data_dir)
USERS = auth_users(SETTINGS)
install_session_guards()
install_request_guard(parse_origins(SETTINGS.coach_allowed_origins))
_POOL: PooledOfflineJudge | None = None
if SETTINGS.mode is Mode.OPENAI:
    # Answers are scrubbed of personal data before they reach the provider: load the name finder
    # now, beside the server starting, rather than on the first answer.
    from agents.privacy.scrubber import warm_up

    threading.Thread(target=warm_up, name="scrubber-warm-up", daemon=True).start()

if USERS:
    ensure_auth_secret(SETTINGS.coach_data_dir)
    TOKENS = TokenPolicy(
        users=lambda: USERS,
        secret=lambda: os.environ.get("CHAINLIT_AUTH_SECRET"),
        revocations=FileRevocations(SETTINGS.coach_data_dir / "revocations.json"),
    )
    cl.on_logout(install_token_policy(TOKENS))

    @cl.password_auth_callback
    async def password_auth(username: str, password: str) -> cl.User | None:
        """Password login, on only when COACH_AUTH_USERS is set."""
        expected = USERS.get(username)
        if expected is not None and secrets.compare_digest(expected.encode(), password.encode()):
            return cl.User(identifier=username, metadata={"role": "user", **TOKENS.claims(username, password)})
        return None


def _offline_judge() -> PooledOfflineJudge:
    """The offline judge in worker processes (started on first use), shared by every user."""
    global _POOL
    if _POOL is None:
        _POOL = PooledOfflineJudge(
            SETTINGS.coach_prompts_dir, SETTINGS.coach_max_answer_chars, workers=SETTINGS.coach_judge_workers
        )
    return _POOL


def _live_judge() -> Any:
    """The judge for a live interview: pooled offline, or the model judge chosen by configuration."""
    return _offline_judge() if SETTINGS.mode is Mode.OFFLINE else None


def _judge() -> Any:
    """The judge for replays: pooled offline, or the configured model judge."""
    return _offline_judge() if SETTINGS.mode is Mode.OFFLINE else make_judge(SETTINGS, LIBRARY)


@cl.data_layer
def data_layer() -> Any:
    """Thread history: SQLite in the data folder by default, COACH_DATABASE_URL for PostgreSQL."""
    return make_data_layer(SETTINGS)


def _owner() -> str | None:
    user = cl.user_session.get("user")
    return str(user.identifier) if user is not None else None


def _timing() -> str:
    return "realistic" if cl.user_session.get("chat_profile") == PROFILE_REALISTIC else "practice"


@cl.set_chat_profiles
async def chat_profiles(current_user: cl.User | None = None, language: str | None = None) -> list[cl.ChatProfile]:
    """Practice (untimed) and Realistic (about 20 minutes, per-answer time guide)."""
    starters = [cl.Starter(label=q.label, message=q.message) for q in QUICK_STARTS]
    return [
        cl.ChatProfile(
            name=PROFILE_PRACTICE,
            markdown_description=profile_description(SETTINGS, "practice"),
            icon="/public/practice.svg",
            default=True,
            starters=starters,
        ),
        cl.ChatProfile(
            name=PROFILE_REALISTIC,
            markdown_description=profile_description(SETTINGS, "realistic"),
            icon="/public/realistic.svg",
            starters=starters,
        ),
    ]


def _settings_widgets(current: dict[str, Any]) -> list[Any]:
    professions = list(PROFESSION_LABELS)
    return [
        Select(
            id="profession",
            label="Your profession",
            items={label: key for key, label in PROFESSION_LABELS.items()},
            initial_value=current.get("profession", professions[0]),
        ),
        Select(
            id="setting",
            label="Healthcare setting",
            items={label: key for key, label in SETTING_LABELS.items()},
            initial_value=current.get("setting", "uk"),
        ),
        Slider(id="scenarios", label="Scenarios", initial=current.get("scenarios", 3), min=1, max=6, step=1),
        Slider(
            id="probes", label="Follow-up probes per scenario", initial=current.get("probes", 1), min=0, max=2, step=1
        ),
    ]


_ENDPOINT: DoctorReport | None = None


async def _endpoint_problem() -> str | None:
    """In model mode, check the endpoint once per process (again while it keeps failing)."""
    global _ENDPOINT
    if SETTINGS.mode is not Mode.OPENAI:
        return None
    if _ENDPOINT is None or not _ENDPOINT.usable:
        _ENDPOINT = await diagnose(SETTINGS, timeout=10)
    return None if _ENDPOINT.usable else _ENDPOINT.summary()


@cl.on_chat_start
async def on_chat_start() -> None:
    """Offer the settings; warn about an unusable endpoint; pick up an unfinished interview."""
    await cl.ChatSettings(_settings_widgets({})).send()
    problem = await _endpoint_problem()
    if problem:
        await cl.Message(
            content=f"⚠️ **The model endpoint is not usable** — {problem}\n\nYou can still practise: questions "
            "come from the scenario bank and your answers are scored by the offline judge, labelled as the "
            "fallback. Fix the settings (`coach doctor` shows the details) and restart, or unset "
            "`OPENAI_API_KEY` and `OPENAI_BASE_URL` for offline mode."
        ).send()
    pending = resumable(STORE, _owner())
    if pending is not None:
        await _resume(pending, welcome_back=True)


@cl.on_chat_resume
async def on_chat_resume(thread: ThreadDict) -> None:
    """A past thread opened from the sidebar (authentication on): carry on or show its report."""
    await cl.ChatSettings(_settings_widgets(cl.user_session.get(KEY_CHOICES) or {})).send()
    transcript_id = cl.user_session.get(KEY_TRANSCRIPT_ID)
    if not transcript_id:
        metadata = thread.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata or "{}")
        transcript_id = metadata.get(KEY_TRANSCRIPT_ID)
    if not transcript_id:
        return
    try:
        transcript = STORE.load(str(transcript_id), owner=_owner())
    except TranscriptError as exc:
        await cl.Message(content=f"That interview could not be opened: {md_inline(exc.problem, 300)}").send()
        return
    await _resume(transcript, welcome_back=False)


async def _resume(transcript: Transcript, *, welcome_back: bool) -> None:
    session = InterviewSession.resume(transcript, settings=SETTINGS, library=LIBRARY, store=STORE, judge=_live_judge())
    cl.user_session.set(KEY_SESSION, session)
    cl.user_session.set(KEY_TRANSCRIPT_ID, transcript.id)
    if session.finished:
        feedback = STORE.load_feedback(transcript.id) or await session.evaluate()
        await _show_feedback(session.transcript, feedback)
        return
    answered = len(transcript.candidate_turns)
    pending = session.pending_question()
    if welcome_back:
        note = (
            f"**Welcome back — your interview continues.** {answered} answer(s) saved"
            f"{f'; scenario {session.position + 1} of {len(session.scenarios)}' if session.current_scenario else ''}."
        )
        await cl.Message(content=note, actions=[_new_action()]).send()
    if pending is not None:
        await cl.Message(content=_decorate(session, pending.text, pending.kind), actions=[_end_action()]).send()


def _end_action() -> cl.Action:
    return cl.Action(name=ACTION_END, payload={}, label="End interview and get feedback", icon="square")


def _new_action() -> cl.Action:
    return cl.Action(name=ACTION_NEW, payload={}, label="Start a new interview", icon="refresh-cw")


def _decorate(session: InterviewSession, text: str, kind: TurnKind) -> str:
    guide = session.time_guide()
    if guide and kind in (TurnKind.QUESTION, TurnKind.PROBE, TurnKind.CONSISTENCY):
        return f"{text}\n\n⏱ _Time guide: about {max(1, round(guide / 60))} min for this answer (about 20 min in all)._"
    return text


async def _render(session: InterviewSession, events: AsyncIterator[Event]) -> None:
    msg: cl.Message | None = None
    async for ev in events:
        if isinstance(ev, MessageStarted):
            msg = cl.Message(content="")
        elif isinstance(ev, Token) and msg is not None:
            await msg.stream_token(ev.text)
        elif isinstance(ev, MessageDone) and msg is not None:
            awaiting = ev.turn.kind in (TurnKind.QUESTION, TurnKind.PROBE, TurnKind.CONSISTENCY, TurnKind.REFUSAL)
            msg.content = _decorate(session, ev.turn.text, ev.turn.kind)
            msg.actions = [_end_action()] if awaiting and not session.finished else []
            await msg.send()
            msg = None
        elif isinstance(ev, Notice):
            await cl.Message(content=f"ℹ️ {ev.text}").send()


async def _start_interview(choices: dict[str, Any]) -> None:
    merged = {**(cl.user_session.get(KEY_CHOICES) or {}), **choices}
    config = config_from_choices(merged, _timing())
    session = InterviewSession.new(
        config, settings=SETTINGS, library=LIBRARY, store=STORE, owner=_owner(), judge=_live_judge()
    )
    cl.user_session.set(KEY_SESSION, session)
    cl.user_session.set(KEY_TRANSCRIPT_ID, session.transcript.id)
    await _render(session, session.start())


async def _finish(session: InterviewSession) -> None:
    async with cl.Step(name="Judge", type="tool", show_input=False) as step:
        step.input = f"Scoring {len(session.transcript.candidate_turns)} answer(s) against {LIBRARY.rubric.version}"
        feedback = await session.evaluate()
        step.output = f"{feedback.band.value} — " + ", ".join(f"{k} {v}/4" for k, v in feedback.scores.items())
    await _show_feedback(session.transcript, feedback)


async def _show_feedback(transcript: Transcript, feedback: Feedback, *, label: str | None = None) -> None:
    stem = label or f"interview-{transcript.id}"
    elements: list[Any] = [
        cl.Plotly(name="scores", figure=scores_figure(feedback), display="inline", size="large"),
        cl.File(
            name=f"{stem}-transcript.json",
            content=transcript.model_dump_json(indent=2).encode("utf-8"),
            mime="application/json",
            display="inline",
        ),
        cl.File(
            name=f"{stem}-report.md",
            content=to_markdown(feedback).encode("utf-8"),
            mime="text/markdown",
            display="inline",
        ),
        cl.File(
            name=f"{stem}-report.html", content=to_html(feedback).encode("utf-8"), mime="text/html", display="inline"
        ),
    ]
    # The headline (band, scores, chart, downloads) first; the evidence and rewrites below it.
    await cl.Message(content=summary_markdown(feedback), elements=elements).send()
    await cl.Message(content=details_markdown(feedback), actions=[_new_action()]).send()


async def _replay_uploads(elements: list[Any]) -> None:
    if len(elements) > MAX_REPLAY_FILES:
        await cl.Message(
            content=f"⚠️ **{len(elements)} files were dropped; up to {MAX_REPLAY_FILES} are judged at a time.** "
            f"The first {MAX_REPLAY_FILES} are judged now; send the others in another message."
        ).send()
        elements = elements[:MAX_REPLAY_FILES]
    judge = _judge()
    for element in elements:
        name = str(getattr(element, "name", "upload"))
        shown = md_inline(name, 80)
        path = getattr(element, "path", None)
        try:
            if not path:
                raise TranscriptError(name, "the upload arrived without its file")
            transcript = load_transcript(Path(path), source=name)
        except TranscriptError as exc:
            await cl.Message(
                content=f"⚠️ **Could not read {shown}.** {md_inline(exc.problem, 300)}"
                f"{f' (line {exc.line})' if exc.line else ''}.\n\nA transcript is our JSON "
                "download, or plain text whose blocks start with `Interviewer:` or `Candidate:`."
            ).send()
            continue
        async with cl.Step(name="Judge", type="tool", show_input=False) as step:
            step.input = f"Replaying {shown}"
            feedback = await judge.evaluate(transcript)
            feedback.source = name
            step.output = f"{feedback.band.value}"
        await _show_feedback(transcript, feedback, label=Path(name).stem)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """An answer, a start command, or uploaded transcripts to replay."""
    files = [e for e in (message.elements or []) if getattr(e, "path", None)]
    if files:
        await _replay_uploads(files)
        if not message.content.strip():
            return
    session: InterviewSession | None = cl.user_session.get(KEY_SESSION)
    start = parse_start_command(message.content)
    if start is not None and session is not None and not session.finished:
        session.abandon()  # kept on disk as ended early; a start command never counts as an answer
        session = None
    if session is None or session.finished:
        if files:
            return
        await _start_interview(start or {})
        return
    try:
        await _render(session, session.respond(message.content))
    except ConflictError:
        await _moved_on(session)
        return
    except CoachError as exc:
        await cl.Message(
            content=f"⚠️ {md_inline(str(exc), 300)} Your answer is saved; send it again or end the interview."
        ).send()
        return
    if session.finished:
        await _finish(session)


async def _moved_on(session: InterviewSession) -> None:
    """The interview was saved from another tab meanwhile: show where it stands now."""
    await cl.Message(content="ℹ️ This interview moved on in another tab or window; here is where it stands now.").send()
    await _resume(STORE.load(session.transcript.id, owner=_owner()), welcome_back=False)


@cl.on_settings_update
async def on_settings_update(choices: dict[str, Any]) -> None:
    """Check and store the choices; they apply to the next interview started."""
    try:
        config_from_choices({**(cl.user_session.get(KEY_CHOICES) or {}), **choices}, _timing())
    except SettingsProblem as exc:
        # Checked before anything is abandoned: a bad value leaves the interview as it was.
        await cl.Message(content=f"⚠️ {md_inline(str(exc), 300)} Nothing was changed.").send()
        return
    cl.user_session.set(KEY_CHOICES, choices)
    session: InterviewSession | None = cl.user_session.get(KEY_SESSION)
    if session is not None and not session.finished and session.transcript.candidate_turns:
        await cl.Message(content="Settings saved — they apply to your next interview.").send()
    elif session is not None and not session.finished:
        session.abandon()
        await _start_interview(choices)


@cl.action_callback(ACTION_END)
async def on_end(action: cl.Action) -> None:
    """Stop early; feedback covers what was answered."""
    session: InterviewSession | None = cl.user_session.get(KEY_SESSION)
    if session is None or session.finished:
        return
    try:
        await _render(session, session.end_early())
    except ConflictError:
        await _moved_on(session)
        return
    await _finish(session)


@cl.action_callback(ACTION_NEW)
async def on_new(action: cl.Action) -> None:
    """Leave the current interview (kept on disk) and start a fresh one."""
    session: InterviewSession | None = cl.user_session.get(KEY_SESSION)
    if session is not None and not session.finished:
        session.abandon()
    await _start_interview({})
