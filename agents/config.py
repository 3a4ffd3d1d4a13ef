"""Settings for the coach, read from the environment (and a `.env` file when present).

Every switch between offline, mock and real models lives here, so that changing mode is a matter of
configuration and never of editing code.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.security.urls import redact_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Model names of the form "provider:model" for these providers pick that provider (see
# agents/models/providers.py); any other name is a model at the OpenAI-compatible endpoint.
PROVIDER_PREFIXES = frozenset({"openai", "azure_openai", "anthropic", "ollama", "google_genai", "mistralai", "groq"})


def names_provider(model: str) -> bool:
    """Whether a model name picks a provider other than the OpenAI-compatible endpoint."""
    prefix, sep, rest = model.partition(":")
    return bool(sep and rest) and prefix in PROVIDER_PREFIXES and prefix != "openai"


class Mode(StrEnum):
    """Which kind of model drives the interviewer and the judge."""

    OFFLINE = "offline"
    OPENAI = "openai"
    MOCK = "mock"


class Settings(BaseSettings):
    """All runtime settings. Names map to upper-case environment variables (see the README)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    coach_mode: Mode | None = Field(
        default=None,
        description="offline | openai | mock. Default: openai when a key or base URL is set, else offline.",
    )
    coach_model: str = Field(
        default="gpt-4o-mini",
        description="Model for both roles unless overridden: 'provider:model' (anthropic:…, ollama:…, openai:…) "
        "or a model name at the OpenAI-compatible endpoint.",
    )
    coach_interviewer_model: str | None = Field(default=None, description="Model name for the interviewer.")
    coach_judge_model: str | None = Field(default=None, description="Model name for the judge.")
    coach_data_dir: Path = Field(default=Path(".coach"), description="Where transcripts and reports are saved.")
    coach_prompts_dir: Path = Field(
        default=PROJECT_ROOT / "prompts", description="Folder holding rubric, scenarios and templates."
    )
    coach_interviewer_temperature: float = Field(default=0.4, ge=0.0, le=2.0)
    coach_request_timeout: float = Field(default=120.0, gt=0, description="Seconds before a model call times out.")
    coach_max_retries: int = Field(default=3, ge=1, le=10, description="Attempts for transient API errors.")
    coach_retry_max_wait: float = Field(default=20.0, ge=0, description="Longest wait between retries, seconds.")
    coach_judge_max_tokens: int = Field(default=3000, gt=0, description="Longest judge reply, in tokens.")
    coach_interviewer_max_tokens: int = Field(default=300, gt=0, description="Longest interviewer reply, in tokens.")
    coach_judge_split: Literal["none", "dimension"] = Field(
        default="none",
        description="How the model judge is asked: every criterion in one call, or one call per dimension "
        "(shorter replies, which small local models need; the shared prompt prefix is reused by the server).",
    )
    coach_judge_reasks: int = Field(default=2, ge=0, le=5, description="Re-asks when judge output is invalid.")
    coach_max_answer_chars: int = Field(default=6000, gt=100, description="Answers longer than this are cut.")
    coach_local_only: bool = Field(default=False, description="Refuse to send any text to a model provider.")
    coach_incremental_judge: bool = Field(
        default=True, description="Judge each scenario in the background as soon as it is answered."
    )
    coach_cache_dir: Path | None = Field(default=None, description="Eval model-call cache (default: data dir).")
    coach_auth_users: SecretStr | None = Field(
        default=None,
        description="Turn on password login: 'alice:password1,bob:password2' (accounts in the database, "
        "from `coach users add`, turn it on too).",
    )
    coach_login_attempts: int = Field(
        default=5, ge=1, le=100, description="Failed logins of one user name allowed per window before it is refused."
    )
    coach_login_window_seconds: float = Field(
        default=900.0, gt=0, description="The window over which failed logins are counted."
    )
    coach_database_url: SecretStr | None = Field(
        default=None,
        description="Database for interviews and chat history (SQLAlchemy URL, e.g. postgresql+asyncpg://…); "
        "default SQLite (interviews.db) in the data dir.",
    )
    coach_oauth_allowed_domains: str | None = Field(
        default=None,
        description="Logins through an identity provider (Chainlit's OAUTH_* settings): only e-mail addresses of "
        "these comma-separated domains; unset, anyone the provider vouches for.",
    )
    coach_store: Literal["files", "database"] | None = Field(
        default=None,
        description="Where interviews are kept: database (COACH_DATABASE_URL, else SQLite in the data dir; the "
        "default) or files (a JSON file each in the data dir).",
    )

    coach_log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text, or as JSON objects with the instance and interview on each."
    )
    coach_retention_days: float | None = Field(
        default=None,
        gt=0,
        description="Delete interviews (and their feedback, recordings, chat history, uploads and eval cache) "
        "not touched for this many days; unset keeps them until deleted.",
    )
    coach_instance: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,31}$",
        description="This instance's name behind a load balancer (e.g. 'a'): set as the `coach_instance` cookie "
        "the balancer routes by (see `coach deploy nginx`), and reported by /health.",
    )
    coach_allowed_origins: str | None = Field(
        default=None,
        description="Origins allowed to open the app's socket, e.g. 'https://coach.example.org' behind a proxy; "
        "default: the origin being served, on this machine's own names.",
    )
    coach_judge_workers: int = Field(
        default=1, ge=1, le=32, description="Processes that run the offline judge beside the web app's event loop."
    )

    coach_stt: Literal["local", "hosted", "fake"] | None = Field(
        default=None,
        description="Speech-to-text: local | hosted | fake. Default: hosted in openai mode (the audio goes to the "
        "provider, after the user agrees), fake in mock mode, local otherwise and with COACH_LOCAL_ONLY.",
    )
    coach_stt_model: str = Field(
        default="base", description="Local speech model: base, tiny.en, or a folder with a CTranslate2 Whisper model."
    )
    coach_stt_beam_size: int = Field(
        default=5, ge=1, le=10, description="Local speech model's beam: wider hears more words right, slower."
    )
    coach_stt_hosted_model: str = Field(
        default="gpt-4o-mini-transcribe", description="Model of the provider's /v1/audio/transcriptions."
    )
    coach_tts: Literal["espeak", "hosted", "off"] = Field(
        default="espeak", description="Who reads questions aloud: espeak (espeak-ng, local) | hosted | off."
    )
    coach_tts_voice: str = Field(default="en-gb", description="espeak-ng voice, or the provider's voice name.")
    coach_tts_hosted_model: str = Field(default="gpt-4o-mini-tts", description="Model of /v1/audio/speech.")
    coach_silence_seconds: float = Field(
        default=3.0, ge=1.0, le=15.0, description="Realistic profile: silence that ends a spoken answer."
    )
    coach_max_recording_seconds: float = Field(
        default=300.0, ge=10.0, le=900.0, description="Longest spoken answer; recording stops past it."
    )
    coach_keep_recordings: bool = Field(
        default=False, description="Keep each answer's recording after its text is saved (deleted by default)."
    )

    openai_api_key: SecretStr | None = Field(default=None, description="Key for the OpenAI-compatible endpoint.")
    openai_base_url: str | None = Field(default=None, description="Base URL of the OpenAI-compatible endpoint.")

    @model_validator(mode="after")
    def _default_mode(self) -> Settings:
        from agents.security.web import parse_origins

        parse_origins(self.coach_allowed_origins)  # a bad entry is named at start, not at first request
        if self.coach_mode is None:
            has_endpoint = bool(self.openai_base_url) or (
                self.openai_api_key is not None and bool(self.openai_api_key.get_secret_value())
            )
            # A model of a named provider (ollama:…, anthropic:…) needs no OpenAI endpoint.
            own_provider = names_provider(self.interviewer_model) or names_provider(self.judge_model)
            self.coach_mode = Mode.OPENAI if has_endpoint or own_provider else Mode.OFFLINE
        if self.coach_local_only and self.coach_mode is Mode.OPENAI:
            raise ValueError("COACH_LOCAL_ONLY is set, so COACH_MODE cannot be 'openai'; use 'offline'.")
        if self.coach_local_only and (self.coach_stt == "hosted" or self.coach_tts == "hosted"):
            raise ValueError("COACH_LOCAL_ONLY is set, so COACH_STT and COACH_TTS cannot be 'hosted'.")
        if self.coach_store is None:
            self.coach_store = "database"  # SQLite in the data folder unless COACH_DATABASE_URL names one
        if self.coach_stt is None:
            # A provider's endpoint hears the audio in openai mode (after the user agrees); local otherwise.
            stt = {Mode.MOCK: "fake", Mode.OPENAI: "hosted"}.get(self.coach_mode, "local")
            self.coach_stt = "local" if self.coach_local_only else stt  # type: ignore[assignment]
        return self

    @property
    def mode(self) -> Mode:
        """The resolved mode (never None after validation)."""
        assert self.coach_mode is not None
        return self.coach_mode

    @property
    def shown_base_url(self) -> str:
        """The endpoint as it may be shown or saved: credentials and query strings redacted."""
        return redact_url(self.openai_base_url) or "the OpenAI API"

    @property
    def interviewer_model(self) -> str:
        """Model name used by the interviewer."""
        return self.coach_interviewer_model or self.coach_model

    @property
    def judge_model(self) -> str:
        """Model name used by the judge."""
        return self.coach_judge_model or self.coach_model

    def describe(self) -> dict[str, Any]:
        """A summary safe to show or log: never includes the key."""
        return {
            "mode": self.mode.value,
            "interviewer_model": self.interviewer_model if self.mode is not Mode.OFFLINE else "offline",
            "judge_model": self.judge_model if self.mode is not Mode.OFFLINE else "offline",
            "base_url": redact_url(self.openai_base_url) or ("default" if self.mode is Mode.OPENAI else None),
            "data_dir": str(self.coach_data_dir),
        }


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, with explicit overrides taking precedence.

    A bad value raises ConfigurationError naming the environment variable and what is wrong.
    """
    from agents.errors import ConfigurationError, validation_problems

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = validation_problems(exc, upper=True, show_input=True)
        raise ConfigurationError("; ".join(p.replace("DOCUMENT:", "settings:", 1) for p in problems)) from None


def mode_line(settings: Settings) -> str:
    """Which mode the app is in and how to switch, in one short paragraph."""
    if settings.mode is Mode.OFFLINE:
        return (
            "**Offline mode (rule-based).** No model is used: questions come from the scenario bank and the "
            "judge is rule-based — it checks explicit wording, not clinical depth. To use a model, set "
            "`OPENAI_API_KEY` (and `OPENAI_BASE_URL` for Azure, Ollama, vLLM, llama.cpp or LM Studio), or "
            "`COACH_MODEL` to a provider's model (`anthropic:…`, `ollama:…`), and restart."
        )
    if settings.mode is Mode.MOCK:
        return "**Mock mode.** A scripted test model answers; for development only."
    where = (
        ""
        if names_provider(settings.interviewer_model) and names_provider(settings.judge_model)
        else (f" at {settings.shown_base_url}")
    )
    return (
        f"**Model mode.** Interviewer `{settings.interviewer_model}`, judge `{settings.judge_model}`{where}. "
        "Unset `OPENAI_API_KEY`, `OPENAI_BASE_URL` and a provider's `COACH_MODEL` for offline mode."
    )
