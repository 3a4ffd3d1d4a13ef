"""`coach doctor`: is the configured model endpoint usable? Reachable, model present, streaming,
structured output — each checked and reported in plain words."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import TextIO

import openai

from agents.config import Mode, Settings
from agents.errors import ModelUnavailableError
from agents.models.gateway import ModelGateway, human, list_models, scrub_secrets, system
from agents.security.urls import redact_url


@dataclass
class Check:
    """One check's outcome."""

    name: str
    ok: bool
    detail: str


@dataclass
class DoctorReport:
    """All checks, and whether the app can use the endpoint."""

    endpoint: str
    checks: list[Check] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        """Usable when the endpoint answers and streaming works (structured output may degrade)."""
        essential = {"reachable", "model", "streaming"}
        return all(c.ok for c in self.checks if c.name in essential) and bool(self.checks)

    def summary(self) -> str:
        """A short plain-words summary for the UI."""
        failed = [c for c in self.checks if not c.ok]
        if not failed:
            return f"The model endpoint at {self.endpoint} is working."
        return "; ".join(f"{c.name}: {c.detail}" for c in failed)


def _explain(exc: BaseException, settings: Settings) -> str:
    text = scrub_secrets(str(exc), settings)
    if isinstance(exc, openai.AuthenticationError):
        return "the key was rejected (HTTP 401). Check OPENAI_API_KEY."
    if isinstance(exc, openai.PermissionDeniedError):
        return "the key is not allowed to use this model (HTTP 403)."
    if isinstance(exc, openai.NotFoundError):
        return f"not found (HTTP 404): {text[:160]}"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out. Is the server overloaded, or the URL wrong?"
    if isinstance(exc, openai.APIConnectionError):
        return "cannot connect. Is the server running, and is OPENAI_BASE_URL right (it usually ends in /v1)?"
    if isinstance(exc, openai.APIStatusError):
        return f"the server answered HTTP {exc.status_code}: {text[:160]}"
    return text[:200]


async def diagnose(settings: Settings, *, timeout: float = 20.0) -> DoctorReport:
    """Run the checks against the configured endpoint (model mode only)."""
    endpoint = redact_url(settings.openai_base_url) or "https://api.openai.com/v1"
    report = DoctorReport(endpoint)
    quick = settings.model_copy(update={"coach_request_timeout": timeout, "coach_max_retries": 1})

    try:
        available = await asyncio.wait_for(list_models(quick), timeout=timeout)
        report.checks.append(Check("reachable", True, f"{endpoint} answered; {len(available)} model(s) listed"))
    except openai.NotFoundError:
        available = None
        report.checks.append(Check("reachable", True, f"{endpoint} answered but does not list models"))
    except (openai.OpenAIError, TimeoutError, OSError) as exc:
        report.checks.append(Check("reachable", False, _explain(exc, settings)))
        return report

    for role, name in (("interviewer", settings.interviewer_model), ("judge", settings.judge_model)):
        if available is None or name in available:
            continue
        shown = ", ".join(available[:8]) + (" …" if len(available) > 8 else "") if available else "none"
        report.checks.append(
            Check(
                "model",
                False,
                f"the {role} model {name!r} is not on the server (available: {shown}). "
                "Set COACH_MODEL (or COACH_INTERVIEWER_MODEL / COACH_JUDGE_MODEL).",
            )
        )
    if not any(c.name == "model" for c in report.checks):
        report.checks.append(
            Check(
                "model",
                True,
                f"{settings.interviewer_model!r} and {settings.judge_model!r} found"
                if available is not None
                else "model list not offered; trying requests",
            )
        )
    if not all(c.ok for c in report.checks):
        return report

    interviewer = ModelGateway(quick, "interviewer")
    pieces: list[str] = []
    try:
        async with asyncio.timeout(timeout):
            async for piece in interviewer.stream([system("Reply with one short sentence."), human("Say hello.")]):
                pieces.append(piece)
        ok = len(pieces) >= 1 and bool("".join(pieces).strip())
        report.checks.append(
            Check("streaming", ok, f"received {len(pieces)} streamed piece(s)" if ok else "the stream was empty")
        )
    except (ModelUnavailableError, TimeoutError) as exc:
        cause = exc.__cause__ or exc
        report.checks.append(Check("streaming", False, _explain(cause, settings)))
        return report

    judge = ModelGateway(quick, "judge")
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}, "word": {"type": "string"}},
        "required": ["ok", "word"],
        "additionalProperties": False,
    }
    try:
        async with asyncio.timeout(timeout * 2):
            reply = await judge.complete_json(
                [system('Reply with JSON only: {"ok": true, "word": "<any word>"}'), human("Check.")], schema, "check"
            )
        from agents.judging.model_judge import extract_json

        parsed = extract_json(reply)
        valid = isinstance(parsed, dict) and isinstance(parsed.get("ok"), bool) and "word" in parsed
        method = {
            "json_schema": "JSON-schema response format",
            "json_object": "JSON mode only (no schema support); replies are validated and re-asked",
            "text": "no response-format support; JSON is extracted from text and validated",
        }[judge.json_method]
        report.checks.append(
            Check(
                "structured output",
                valid,
                f"{method}" if valid else f"{method}, but the reply was not valid: {json.dumps(reply)[:120]}",
            )
        )
    except (ModelUnavailableError, TimeoutError, ValueError) as exc:
        report.checks.append(Check("structured output", False, _explain(exc.__cause__ or exc, settings)))
    return report


async def run_doctor(settings: Settings, out: TextIO, *, timeout: float = 20.0) -> int:
    """Print what the checks found; exit 0 when the endpoint is usable."""
    if settings.mode is Mode.OFFLINE:
        out.write(
            "Offline mode: no model endpoint is configured, so there is nothing to check.\n"
            "Set OPENAI_API_KEY (and OPENAI_BASE_URL for a local or other server) to use a model.\n"
        )
        return 0
    if settings.mode is Mode.MOCK:
        out.write("Mock mode: the scripted test model is in use; there is no endpoint to check.\n")
        return 0
    report = await diagnose(settings, timeout=timeout)
    out.write(
        f"Checking {report.endpoint} (interviewer {settings.interviewer_model!r}, judge {settings.judge_model!r})\n"
    )
    for check in report.checks:
        out.write(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}\n")
    out.write(
        "The endpoint is usable.\n" if report.usable else "The endpoint is NOT usable: " + report.summary() + "\n"
    )
    return 0 if report.usable else 1
