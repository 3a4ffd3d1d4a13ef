"""`coach doctor`: is the configured model endpoint usable? Reachable, model present, streaming,
structured output — each checked and reported in plain words."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, field
from typing import TextIO

import openai

from agents.config import Mode, Settings
from agents.errors import ConfigurationError, ModelUnavailableError
from agents.models.gateway import ModelGateway, build_chat_model, human, list_models, scrub_secrets, status_of, system
from agents.models.providers import OPENAI, ModelRef, Provider, parse_model
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
        essential = {"reachable", "model", "streaming", "key", "package", "provider"}
        return all(c.ok for c in self.checks if c.name in essential) and bool(self.checks)

    def summary(self) -> str:
        """A short plain-words summary for the UI."""
        failed = [c for c in self.checks if not c.ok]
        if not failed:
            return f"The model endpoint at {self.endpoint} is working."
        return "; ".join(f"{c.name}: {c.detail}" for c in failed)


def _explain(exc: BaseException, settings: Settings, provider: Provider = OPENAI) -> str:
    """A provider's error in plain words: what it means and which setting to look at."""
    text = scrub_secrets(str(exc), settings)
    key = provider.key_env or "the provider's key"
    where = (
        "is OPENAI_BASE_URL right (it usually ends in /v1)?"
        if provider is OPENAI
        else "is `ollama serve` running, and OLLAMA_HOST right?"
        if provider.name == "ollama"
        else f"can this machine reach the {provider.name} API?"
    )
    if isinstance(exc, ConfigurationError):
        return str(exc)
    status = status_of(exc)
    name = type(exc).__name__
    if status == 401 or name == "AuthenticationError":
        return f"the key was rejected (HTTP 401). Check {key}."
    if status == 403 or name == "PermissionDeniedError":
        return f"the key is not allowed to use this model (HTTP 403). Check {key} and the model's access."
    if status == 404 or name == "NotFoundError":
        return f"not found (HTTP 404): the model name or the URL is wrong. {text[:160]}"
    if status == 429:
        return f"rate-limited or out of quota (HTTP 429): {text[:160]}"
    if isinstance(exc, openai.APITimeoutError | TimeoutError) or "Timeout" in name:
        return "timed out. Is the server overloaded, or the URL wrong?"
    if isinstance(exc, openai.APIConnectionError | ConnectionError) or "Connect" in name:
        return f"cannot connect. Is the server running, and {where}"
    if status is not None:
        return f"the server answered HTTP {status}: {text[:160]}"
    return text[:200]


async def _provider_checks(settings: Settings, refs: dict[str, ModelRef], report: DoctorReport) -> None:
    """For models of named providers: the package is installed and the key is set."""
    for role, ref in refs.items():
        p = ref.provider
        if p is OPENAI:
            continue
        if p.key_env and not os.environ.get(p.key_env):
            report.checks.append(
                Check("key", False, f"the {role} model {ref.label!r} needs {p.key_env}; it is not set")
            )
        try:
            build_chat_model(settings, "judge" if role == "judge" else "interviewer")
        except ConfigurationError as exc:
            report.checks.append(Check("package", False, str(exc)))
    if all(c.ok for c in report.checks):
        names = ", ".join(sorted({r.label for r in refs.values()}))
        report.checks.append(Check("provider", True, f"{names}: package installed, key set where one is needed"))


async def diagnose(settings: Settings, *, timeout: float = 20.0) -> DoctorReport:
    """Run the checks against the configured models (model mode only), whatever their provider."""
    refs = {"interviewer": parse_model(settings.interviewer_model), "judge": parse_model(settings.judge_model)}
    compatible = all(r.provider is OPENAI for r in refs.values())
    endpoint = (
        redact_url(settings.openai_base_url) or "https://api.openai.com/v1"
        if compatible
        else ", ".join(sorted({r.provider.name for r in refs.values()}))
    )
    report = DoctorReport(endpoint)
    quick = settings.model_copy(update={"coach_request_timeout": timeout, "coach_max_retries": 1})
    if not compatible:
        await _provider_checks(quick, refs, report)
        if not report.usable:
            return report
        await _call_checks(quick, refs, report, timeout)
        return report

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
    await _call_checks(quick, refs, report, timeout)
    return report


async def _call_checks(quick: Settings, refs: dict[str, ModelRef], report: DoctorReport, timeout: float) -> None:
    """A streamed reply from the interviewer's model and a JSON reply from the judge's."""
    settings = quick
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
        report.checks.append(Check("streaming", False, _explain(cause, settings, refs["interviewer"].provider)))
        return

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
        report.checks.append(
            Check("structured output", False, _explain(exc.__cause__ or exc, settings, refs["judge"].provider))
        )


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
