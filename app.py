"""Chainlit adapter: browser events to the interview service (`agents/interview/service.py`) and its
events back to Chainlit messages, steps, actions and elements.

Nothing here decides what happens in an interview. `create_app(settings)` builds the service and
registers the handlers; Chainlit imports this file, which creates the one app of the process.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.input_widget import Select, Slider, Switch
from chainlit.types import ThreadDict

from agents.adapters.accounts import Accounts
from agents.adapters.logs import configure_logging, serving
from agents.adapters.retention import apply_retention, delete_interviews
from agents.adapters.web.auth import make_data_layer, token_policy
from agents.adapters.web.hardening import install_request_guard, install_session_guards, install_token_policy
from agents.adapters.web.instance import install_instance
from agents.adapters.web.oauth import OAuthPolicy, configured_providers
from agents.config import Mode, Settings, load_settings
from agents.domain.feedback import Feedback
from agents.domain.library import load_library
from agents.domain.speech import DeliveryLimits
from agents.domain.transcript import Transcript
from agents.errors import CoachError
from agents.interview import events
from agents.interview.choices import PROFESSION_LABELS, QUICK_STARTS, SETTING_LABELS, profile_description
from agents.interview.service import Conversation, InterviewService, Upload
from agents.reporting.charts import scores_figure
from agents.reporting.progress import Progress, cohort_markdown, progress_figure, progress_markdown
from agents.reporting.report import (
    delivery_markdown,
    details_markdown,
    reference_markdown,
    summary_markdown,
    tasks_markdown,
    to_html,
    to_markdown,
)
from agents.security.files import private_umask, tighten_tree
from agents.security.markdown import md_inline
from agents.security.tokens import TokenPolicy
from agents.security.web import parse_origins
from agents.storage.factory import make_repository, prepare_store

# Keys in cl.user_session (named once, used everywhere).
KEY_CONVERSATION = "conversation"
KEY_TRANSCRIPT_ID = "transcript_id"  # JSON-serialisable, so Chainlit keeps it in thread metadata
PROFILE_PRACTICE = "Practice"
PROFILE_REALISTIC = "Realistic"

ACTION_END = "end_interview"
ACTION_NEW = "new_interview"
ACTION_FLAG = "flag_verdict"
ACTION_DRILL = "drill_weakest"
ACTION_PROGRESS = "my_progress"
ACTION_COHORT = "cohort_progress"
ACTION_DELETE = "delete_interviews"
RETENTION_EVERY_SECONDS = 3600.0
ACTION_USE_HEARD = "use_heard"
ACTION_DISCARD_HEARD = "discard_heard"
ACTION_RETRY_HEARD = "retry_heard"


class CoachApp:
    """The browser front end of one process: a service shared by every user, and the handlers."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.library = load_library(settings.coach_prompts_dir)
        prepare_store(settings)
        self.store = make_repository(settings)
        self.service = InterviewService(settings, self.library, self.store, pooled_judging=True)
        self.accounts = Accounts(settings)
        self._retained_at = 0.0
        # Logins through an identity provider, when Chainlit finds one configured (OAUTH_* settings).
        self.oauth = OAuthPolicy(settings) if configured_providers() else None
        self.tokens: TokenPolicy | None = None
        if self.accounts.enabled or self.oauth is not None:
            self.tokens = token_policy(settings, self.accounts, self.oauth)

    # ----- the connection -------------------------------------------------------------------

    def conversation(self) -> Conversation:
        """This browser connection's conversation, made on first use."""
        conv: Conversation | None = cl.user_session.get(KEY_CONVERSATION)
        if conv is None:
            user = cl.user_session.get("user")
            owner = str(user.identifier) if user is not None else None
            timing = "realistic" if cl.user_session.get("chat_profile") == PROFILE_REALISTIC else "practice"
            conv = self.service.conversation(owner, timing=timing)
            cl.user_session.set(KEY_CONVERSATION, conv)
        return conv

    async def render(self, conv: Conversation, stream: AsyncIterator[events.ServiceEvent]) -> None:
        """Every service event as what the browser shows."""
        async with conv.lock:  # one handler of a connection at a time (see Conversation.lock)
            token = serving.set(conv.transcript_id)  # each log line names the interview served
            try:
                await self._render(conv, stream)
            finally:
                serving.reset(token)
        if conv.transcript_id is not None:
            cl.user_session.set(KEY_TRANSCRIPT_ID, conv.transcript_id)

    async def _render(self, conv: Conversation, stream: AsyncIterator[events.ServiceEvent]) -> None:
        msg: cl.Message | None = None
        step: cl.Step | None = None
        async for ev in conv.voice.voiced(stream):
            if isinstance(ev, events.MessageStarted):
                msg = cl.Message(content="")
            elif isinstance(ev, events.Token) and msg is not None:
                await msg.stream_token(ev.text)
            elif isinstance(ev, events.MessageDone):
                msg = msg or cl.Message(content="")
                msg.content = _with_time_guide(ev)
                msg.actions = [_end_action()] if ev.awaiting else []
                await msg.send()
                msg = None
            elif isinstance(ev, events.Notice):
                await cl.Message(content=f"{'⚠️' if ev.warning else 'ℹ️'} {ev.text}").send()
            elif isinstance(ev, events.WelcomeBack):
                where = f"; scenario {ev.scenario[0]} of {ev.scenario[1]}" if ev.scenario else ""
                await cl.Message(
                    content=f"**Welcome back — your interview continues.** {ev.answered} answer(s) saved{where}.",
                    actions=[_new_action(), _progress_action()],
                ).send()
            elif isinstance(ev, events.JudgingStarted):
                step = cl.Step(name="Judge", type="tool", show_input=False)
                step.input = ev.description
                await step.send()
            elif isinstance(ev, events.FeedbackReady):
                if step is not None:
                    step.output = f"{ev.feedback.band.value} — " + ", ".join(
                        f"{k} {v}/{ev.feedback.scale_max}" for k, v in ev.feedback.scores.items()
                    )
                    await step.update()
                    step = None
                await _show_feedback(ev.transcript, ev.feedback, self.library.speech.delivery, label=ev.label)
            elif isinstance(ev, events.ProgressReady):
                await _show_progress(ev.progress)
            elif isinstance(ev, events.ReferenceReady):
                await cl.Message(content=reference_markdown(ev.view)).send()
            elif isinstance(ev, events.Heard):
                await _show_heard(ev)
            elif isinstance(ev, events.HeardFailed):
                await cl.Message(
                    content=f"⚠️ **Your spoken answer could not be transcribed** — {md_inline(ev.problem, 200)}. "
                    "The recording is kept: try again, or type your answer; nothing earlier is lost.",
                    actions=[cl.Action(name=ACTION_RETRY_HEARD, payload={}, label="Try again", icon="rotate-ccw")],
                ).send()
            elif isinstance(ev, events.Voiced):
                audio = cl.Audio(name=f"question-{ev.turn_index}.wav", content=ev.wav, mime="audio/wav", auto_play=True)
                await cl.Message(content="_Read aloud:_", elements=[audio]).send()
            elif isinstance(ev, events.ReplayFailed):
                await cl.Message(
                    content=f"⚠️ **Could not read {md_inline(ev.name, 80)}.** {md_inline(ev.problem, 300)}"
                    f"{f' (line {ev.line})' if ev.line else ''}.\n\nA transcript is our JSON "
                    "download, or plain text whose blocks start with `Interviewer:` or `Candidate:`."
                ).send()

    # ----- handlers -------------------------------------------------------------------------

    async def chat_profiles(self, current_user: cl.User | None = None, language: str | None = None) -> Any:
        """Practice (untimed) and Realistic (about 20 minutes, per-answer time guide)."""
        starters = [cl.Starter(label=q.label, message=q.message) for q in QUICK_STARTS]
        return [
            cl.ChatProfile(
                name=PROFILE_PRACTICE,
                markdown_description=profile_description(self.settings, "practice"),
                icon="/public/practice.svg",
                default=True,
                starters=starters,
            ),
            cl.ChatProfile(
                name=PROFILE_REALISTIC,
                markdown_description=profile_description(self.settings, "realistic"),
                icon="/public/realistic.svg",
                starters=starters,
            ),
        ]

    async def on_chat_start(self) -> None:
        """Offer the settings; warn about an unusable endpoint; pick up an unfinished interview; an
        educator is offered their cohort's progress."""
        conv = self.conversation()
        await cl.ChatSettings(_settings_widgets({}, read_aloud=conv.voice.reading_aloud)).send()
        await self._retention()
        cohort = self._cohort()
        if cohort is not None:
            await cl.Message(
                content=f"You teach cohort **{md_inline(cohort, 80)}**.",
                actions=[cl.Action(name=ACTION_COHORT, payload={}, label="Cohort progress", icon="users")],
            ).send()
        await self.render(conv, conv.open())

    async def _retention(self) -> None:
        """COACH_RETENTION_DAYS, applied as users arrive, at most once an hour per instance."""
        if self.settings.coach_retention_days is None or time.monotonic() - self._retained_at < RETENTION_EVERY_SECONDS:
            return
        self._retained_at = time.monotonic()
        from chainlit.config import FILES_DIRECTORY

        await apply_retention(self.service, self.settings, Path(FILES_DIRECTORY))

    async def on_delete(self, action: cl.Action) -> None:
        """Delete this interview, or all of this user's, from every copy, once the user confirms."""
        wanted = action.payload.get("transcript_id")
        what = "this interview" if wanted else "all your interviews"
        sure = await _ask_yes_no(
            f"Delete {what} everywhere it is kept — transcript, feedback, recordings and chat history? "
            "This cannot be undone.",
            yes="Delete",
            no="Keep",
        )
        if not sure:
            await cl.Message(content="Nothing was deleted.").send()
            return
        conv = self.conversation()
        async with conv.lock:
            try:  # the payload comes from the browser: an id of another user's interview is refused
                deleted = await delete_interviews(
                    self.service, self.settings, conv.owner, [str(wanted)] if wanted else None
                )
            except CoachError as exc:
                await cl.Message(content=f"⚠️ Nothing was deleted: {md_inline(str(exc), 200)}.").send()
                return
            if conv.transcript_id in deleted.interviews:
                conv.session = None
                cl.user_session.set(KEY_TRANSCRIPT_ID, None)
        await cl.Message(
            content=f"Deleted {len(deleted.interviews)} interview(s) with their feedback and recordings, and "
            f"{deleted.history_threads} chat thread(s).",
            actions=[_new_action()],
        ).send()

    def _cohort(self) -> str | None:
        """The cohort the logged-in user teaches, read afresh from the accounts (None: not an educator)."""
        user = cl.user_session.get("user")
        return self.accounts.cohort_of(str(user.identifier)) if user is not None and self.tokens else None

    async def on_cohort(self, action: cl.Action) -> None:
        """An educator's view: their cohort's candidates' progress, never another cohort's."""
        cohort = self._cohort()
        if cohort is None:
            await cl.Message(content="ℹ️ Only an educator sees a cohort's progress.").send()
            return
        members = await self.service.cohort_progress(self.accounts.members(cohort))
        await cl.Message(content=cohort_markdown(cohort, members)).send()

    async def on_chat_resume(self, thread: ThreadDict) -> None:
        """A past thread opened from the sidebar (login on): carry on or show its report."""
        conv = self.conversation()
        await cl.ChatSettings(_settings_widgets(conv.choices, read_aloud=conv.voice.reading_aloud)).send()
        transcript_id = cl.user_session.get(KEY_TRANSCRIPT_ID)
        if not transcript_id:
            metadata = thread.get("metadata") or {}
            if isinstance(metadata, str):
                metadata = json.loads(metadata or "{}")
            transcript_id = metadata.get(KEY_TRANSCRIPT_ID)
        if transcript_id:
            await self.render(conv, conv.open_interview(str(transcript_id)))

    async def on_message(self, message: cl.Message) -> None:
        """An answer, a start command, or uploaded transcripts to replay."""
        uploads = [
            Upload(str(getattr(e, "name", "upload")), getattr(e, "path", None))
            for e in (message.elements or [])
            if getattr(e, "path", None)
        ]
        conv = self.conversation()
        await self.render(conv, conv.message(message.content, uploads))

    async def on_settings_update(self, choices: dict[str, Any]) -> None:
        """Check and keep the choices; they apply to the next interview (or this one, if unanswered)."""
        conv = self.conversation()
        await self.render(conv, conv.update_settings(choices))

    async def on_end(self, action: cl.Action) -> None:
        """Stop early; feedback covers what was answered."""
        conv = self.conversation()
        await self.render(conv, conv.end())

    async def on_new(self, action: cl.Action) -> None:
        """Leave the current interview (kept, ended early) and start a fresh one."""
        conv = self.conversation()
        await self.render(conv, conv.start())

    async def on_flag(self, action: cl.Action) -> None:
        """Ask which verdict is wrong and why; the service keeps it with the interview."""
        reply = await cl.AskUserMessage(
            content="Which verdict is wrong, and why? Write the criterion, a colon and your reason, e.g. "
            "`C2: I explained why the priority changed`.",
            timeout=600,
        ).send()
        if not reply:
            return
        conv = self.conversation()
        await self.render(conv, conv.flag(str(reply.get("output", ""))))

    async def on_progress(self, action: cl.Action) -> None:
        """Scores across this user's interviews, and what they leave unsaid most often."""
        conv = self.conversation()
        await self.render(conv, _one(await conv.progress()))

    async def on_drill(self, action: cl.Action) -> None:
        """Start an interview on the criteria this user missed most lately."""
        conv = self.conversation()
        await self.render(conv, conv.drill())

    # ----- speaking -------------------------------------------------------------------------

    async def on_audio_start(self) -> bool:
        """The microphone button: on when an interview waits for an answer (and, for a hosted
        speech-to-text service, once the user agreed to send it their audio)."""
        conv = self.conversation()
        problem = conv.voice.problem()
        if problem:
            await cl.Message(content=f"ℹ️ {problem}").send()
            return False
        if conv.voice.needs_agreement:
            where = md_inline(self.settings.shown_base_url, 80)
            agreed = await _ask_yes_no(
                f"**Before your first recording:** spoken answers are transcribed by the provider at {where} "
                "— your audio goes to them (your text is scrubbed of personal details, audio cannot be). Or the "
                "local speech model on this machine transcribes them, a little less accurately.",
                yes="Send my audio to the provider",
                no="Keep it on this machine",
            )
            await self.render(conv, _one(conv.voice.agree(agreed)))
            return False  # the next press records, with the engine now chosen
        try:
            await asyncio.to_thread(conv.voice.prepare)  # the model loads once per process, off the loop
        except CoachError as exc:
            await cl.Message(content=f"⚠️ Spoken answers are not available here: {md_inline(str(exc), 300)}").send()
            return False
        conv.voice.begin()
        return True

    async def on_audio_chunk(self, chunk: cl.InputAudioChunk) -> None:
        """A piece of the answer being spoken; a long silence (realistic) or the limit ends it."""
        from chainlit.config import config

        conv = self.conversation()
        rate = config.features.audio.sample_rate if config.features.audio else 24000
        ending = conv.voice.add(chunk.data, rate, start=chunk.isStart)
        if ending is not None:
            await cl.context.emitter.update_audio_connection("off")
            await self.render(conv, conv.voice.finish(ending))

    async def on_audio_end(self) -> None:
        """The candidate stopped the microphone: the answer is heard (and, realistic, counted)."""
        conv = self.conversation()
        await self.render(conv, conv.voice.finish("stopped"))

    async def on_use_heard(self, action: cl.Action) -> None:
        """Practice: the heard answer counts as heard."""
        conv = self.conversation()
        if conv.voice.draft is not None:
            await cl.Message(content=conv.voice.draft[1], author="You", type="user_message").send()
        await self.render(conv, conv.voice.use_draft())

    async def on_discard_heard(self, action: cl.Action) -> None:
        """Practice: drop the heard answer, to say it again."""
        conv = self.conversation()
        await self.render(conv, _one(conv.voice.discard_draft()))

    async def on_retry_heard(self, action: cl.Action) -> None:
        """Transcribe a kept recording again."""
        conv = self.conversation()
        await self.render(conv, conv.voice.retry())

    async def password_auth(self, username: str, password: str) -> cl.User | None:
        """Password login (on when COACH_AUTH_USERS or the database holds a user); a user name that
        keeps failing is refused for a while. Hashes are checked off the event loop."""
        if self.tokens is None:
            return None
        account = await asyncio.to_thread(self.accounts.authenticate, username, password)
        credential = self.accounts.credential(username) if account is not None else None
        if account is None or credential is None:
            return None
        metadata = {"role": account.role, "cohort": account.cohort, **self.tokens.claims(username, credential)}
        return cl.User(identifier=username, metadata=metadata)

    async def oauth_auth(
        self, provider_id: str, token: str, raw_user_data: dict[str, Any], default_user: cl.User, *_: Any
    ) -> cl.User | None:
        """A login through an identity provider: admitted by the allowed domains, as the account
        of that e-mail address when there is one (its role and cohort), else as a candidate."""
        if self.tokens is None or self.oauth is None:
            return None
        name = self.oauth.identifier(provider_id, raw_user_data, default_user.identifier)
        if name is None:
            return None
        account = await asyncio.to_thread(self.accounts.account, name)
        credential = self.accounts.credential(name) if account is not None else self.oauth.credential(name)
        if credential is None:
            return None
        metadata = {
            "role": account.role if account is not None else "candidate",
            "cohort": account.cohort if account is not None else None,
            "provider": provider_id,
            **self.tokens.claims(name, credential),
        }
        return cl.User(identifier=name, metadata=metadata)

    def data_layer(self) -> Any:
        """Thread history: SQLite in the data folder by default, COACH_DATABASE_URL for PostgreSQL."""
        return make_data_layer(self.settings)


def create_app(settings: Settings | None = None) -> CoachApp:
    """Build the app for these settings (from the environment by default) and register its handlers
    with Chainlit. A later call replaces the handlers, so each test can have an app of its own."""
    from chainlit.config import config

    private_umask()  # transcripts, history and secrets are personal data: 0600 files in a 0700 folder
    settings = settings or load_settings()
    configure_logging(settings)
    tighten_tree(settings.coach_data_dir)
    app = CoachApp(settings)
    install_session_guards()
    install_request_guard(parse_origins(settings.coach_allowed_origins))
    install_instance(settings.coach_instance, app.store.ping)
    if settings.mode is Mode.OPENAI:
        # Answers are scrubbed of personal data before they reach the provider: load the name finder
        # now, beside the server starting, rather than on the first answer.
        from agents.privacy.scrubber import warm_up

        threading.Thread(target=warm_up, name="scrubber-warm-up", daemon=True).start()

    cl.data_layer(app.data_layer)
    cl.set_chat_profiles(app.chat_profiles)
    cl.on_chat_start(app.on_chat_start)
    cl.on_chat_resume(app.on_chat_resume)
    cl.on_message(app.on_message)
    cl.on_settings_update(app.on_settings_update)
    cl.action_callback(ACTION_END)(app.on_end)
    cl.action_callback(ACTION_NEW)(app.on_new)
    cl.action_callback(ACTION_FLAG)(app.on_flag)
    cl.action_callback(ACTION_DRILL)(app.on_drill)
    cl.action_callback(ACTION_PROGRESS)(app.on_progress)
    cl.action_callback(ACTION_COHORT)(app.on_cohort)
    cl.action_callback(ACTION_DELETE)(app.on_delete)
    cl.action_callback(ACTION_USE_HEARD)(app.on_use_heard)
    cl.action_callback(ACTION_DISCARD_HEARD)(app.on_discard_heard)
    cl.action_callback(ACTION_RETRY_HEARD)(app.on_retry_heard)
    cl.on_audio_start(app.on_audio_start)
    cl.on_audio_chunk(app.on_audio_chunk)
    cl.on_audio_end(app.on_audio_end)
    # An earlier app of this process may have set these: each is set or cleared.
    config.code.password_auth_callback = None
    config.code.oauth_callback = None
    config.code.on_logout = None
    if app.tokens is not None:
        if app.accounts.enabled:
            cl.password_auth_callback(app.password_auth)
        if app.oauth is not None:
            cl.oauth_callback(app.oauth_auth)
        cl.on_logout(install_token_policy(app.tokens))
    return app


def _settings_widgets(current: dict[str, Any], *, read_aloud: bool = False) -> list[Any]:
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
        Switch(
            id="read_aloud",
            label="Read questions aloud",
            initial=read_aloud,
            description="The interviewer's questions and probes are spoken, as on the real screens. "
            "Answer by voice with the microphone button (tested in Chromium and Chrome).",
        ),
    ]


def _end_action() -> cl.Action:
    return cl.Action(name=ACTION_END, payload={}, label="End interview and get feedback", icon="square")


def _progress_action() -> cl.Action:
    return cl.Action(name=ACTION_PROGRESS, payload={}, label="My progress", icon="chart-line")


async def _show_progress(progress: Progress) -> None:
    elements = [cl.Plotly(name="progress", figure=progress_figure(progress), display="inline", size="large")]
    actions = [_new_action()]
    if progress.points:
        actions.append(cl.Action(name=ACTION_DELETE, payload={}, label="Delete all my interviews", icon="trash"))
    if progress.most_missed:
        actions.insert(0, cl.Action(name=ACTION_DRILL, payload={}, label="Practise my weakest criteria", icon="target"))
    await cl.Message(
        content=progress_markdown(progress), elements=elements if progress.points else [], actions=actions
    ).send()


def _new_action() -> cl.Action:
    return cl.Action(name=ACTION_NEW, payload={}, label="Start a new interview", icon="refresh-cw")


def _with_time_guide(done: events.MessageDone) -> str:
    guide = done.time_guide_seconds
    if guide:
        minutes = max(1, round(guide / 60))
        return f"{done.turn.text}\n\n⏱ _Time guide: about {minutes} min for this answer (about 20 min in all)._"
    return done.turn.text


async def _ask_yes_no(content: str, *, yes: str, no: str) -> bool:
    """Ask with two buttons; True only for a press of `yes` (not for `no`, nor for no answer in 5 min)."""
    reply = await cl.AskActionMessage(
        content=content,
        actions=[
            cl.Action(name="answer", payload={"yes": True}, label=yes),
            cl.Action(name="answer", payload={"yes": False}, label=no),
        ],
        timeout=300,
    ).send()
    return bool(reply and (reply.get("payload") or {}).get("yes"))


async def _one(event: events.ServiceEvent) -> AsyncIterator[events.ServiceEvent]:
    yield event


async def _show_heard(ev: events.Heard) -> None:
    quoted = "\n".join(f"> {md_inline(line, 2000)}" for line in ev.text.splitlines() or [""])
    if not ev.draft:
        await cl.Message(content=ev.text, author="You", type="user_message").send()
        return
    await cl.Message(
        content=f"**I heard** ({ev.seconds:.0f} s):\n\n{quoted}\n\nUse it as heard, or type a corrected "
        "version and send it.",
        actions=[
            cl.Action(name=ACTION_USE_HEARD, payload={}, label="Use as heard", icon="check"),
            cl.Action(name=ACTION_DISCARD_HEARD, payload={}, label="Discard and say it again", icon="x"),
        ],
    ).send()


async def _show_feedback(
    transcript: Transcript, feedback: Feedback, limits: DeliveryLimits, *, label: str | None = None
) -> None:
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
            content=to_markdown(feedback, limits).encode("utf-8"),
            mime="text/markdown",
            display="inline",
        ),
        cl.File(
            name=f"{stem}-report.html", content=to_html(feedback).encode("utf-8"), mime="text/html", display="inline"
        ),
    ]
    # The headline (band, scores, chart, downloads) first; the evidence and rewrites below it.
    await cl.Message(content=summary_markdown(feedback), elements=elements).send()
    actions = [_new_action()]
    if label is None:  # an interview of this connection (not a replayed file): its verdicts can be disputed
        actions.append(cl.Action(name=ACTION_FLAG, payload={}, label="A verdict is wrong", icon="flag"))
        actions.append(cl.Action(name=ACTION_DRILL, payload={}, label="Practise my weakest criteria", icon="target"))
        actions.append(_progress_action())
        actions.append(
            cl.Action(
                name=ACTION_DELETE,
                payload={"transcript_id": transcript.id},
                label="Delete this interview",
                icon="trash",
            )
        )
    await cl.Message(content=details_markdown(feedback), actions=actions).send()
    task = tasks_markdown(feedback)
    if task:
        await cl.Message(content=task).send()
    spoken = delivery_markdown(feedback, limits)
    if spoken:
        await cl.Message(content=spoken).send()


APP = create_app()
