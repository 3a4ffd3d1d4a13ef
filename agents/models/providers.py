"""Which LangChain chat model a model name means, and how our settings reach it.

`COACH_MODEL` (and the per-role overrides) name a model as `provider:model`
(`anthropic:claude-sonnet-4-5`, `ollama:llama3.1`, `openai:gpt-4o-mini`) or as a bare name. A bare
name, or one whose prefix is not a provider listed here (`qwen2.5:7b-instruct`), keeps its old
meaning: that model at the OpenAI-compatible endpoint (`OPENAI_BASE_URL`, or the OpenAI API).
Every model is built by LangChain's `init_chat_model`; providers other than OpenAI-compatible ones
are optional extras of this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from agents.config import PROVIDER_PREFIXES, Settings
from agents.errors import ConfigurationError


@dataclass(frozen=True)
class Provider:
    """A LangChain provider as this app uses it."""

    name: str  # init_chat_model's model_provider
    package: str  # the PyPI package that holds its chat model
    extra: str | None  # this package's optional extra that installs it (None: always installed)
    key_env: str | None  # environment variable holding its key, if it needs one
    max_tokens_arg: str = "max_tokens"  # the chat model's name for the reply length limit
    retries_arg: str | None = "max_retries"  # None: the chat model has no retry setting of its own
    response_format: bool = False  # accepts OpenAI's `response_format` request parameter

    def describe(self) -> str:
        """The provider and how to install it, for error messages."""
        install = (
            f"pip install 'clinical-interview-coach[{self.extra}]'" if self.extra else f"pip install {self.package}"
        )
        return f"{self.name} (package {self.package}: {install})"


OPENAI = Provider("openai", "langchain-openai", None, "OPENAI_API_KEY", "max_completion_tokens", response_format=True)
PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        OPENAI,
        Provider("azure_openai", "langchain-openai", None, "AZURE_OPENAI_API_KEY", response_format=True),
        Provider("anthropic", "langchain-anthropic", "anthropic", "ANTHROPIC_API_KEY"),
        # ChatOllama turns OpenAI's response_format into Ollama's own `format`.
        Provider("ollama", "langchain-ollama", "ollama", None, "num_predict", retries_arg=None, response_format=True),
        Provider("google_genai", "langchain-google-genai", "google", "GOOGLE_API_KEY", "max_output_tokens"),
        Provider("mistralai", "langchain-mistralai", "mistral", "MISTRAL_API_KEY"),
        Provider("groq", "langchain-groq", "groq", "GROQ_API_KEY"),
    )
}


assert set(PROVIDERS) == PROVIDER_PREFIXES, "the settings and the provider table must name the same providers"


@dataclass(frozen=True)
class ModelRef:
    """A configured model: its provider and the model name that provider knows."""

    provider: Provider
    model: str

    @property
    def label(self) -> str:
        """The name shown to people and recorded with transcripts."""
        return self.model if self.provider is OPENAI else f"{self.provider.name}:{self.model}"


def parse_model(name: str) -> ModelRef:
    """`provider:model` for a provider listed here; anything else is a model at the OpenAI-compatible endpoint."""
    prefix, sep, rest = name.partition(":")
    if sep and prefix in PROVIDERS and rest:
        return ModelRef(PROVIDERS[prefix], rest)
    return ModelRef(OPENAI, name)


def chat_model_arguments(
    ref: ModelRef, settings: Settings, *, temperature: float, max_tokens: int, streaming: bool
) -> dict[str, Any]:
    """The keyword arguments for `init_chat_model`: one set of our settings, each provider's names."""
    p = ref.provider
    args: dict[str, Any] = {"model_provider": p.name, "temperature": temperature, p.max_tokens_arg: max_tokens}
    if p.retries_arg:
        args[p.retries_arg] = 0  # retries are ours (tenacity), so they are bounded and visible
    if p.name == "ollama":
        args["client_kwargs"] = {"timeout": settings.coach_request_timeout}
    else:
        args["timeout"] = settings.coach_request_timeout
    if p is OPENAI:
        args.update(
            api_key=settings.openai_api_key or SecretStr("not-needed"),  # local servers accept any key
            base_url=settings.openai_base_url,
            streaming=streaming,
            stream_usage=True,
        )
    return args


def build(ref: ModelRef, arguments: dict[str, Any]) -> Any:
    """The chat model, through LangChain's `init_chat_model`; a missing package is named with its extra."""
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(ref.model, **arguments)
    except ImportError as exc:
        raise ConfigurationError(
            f"the model {ref.label!r} needs the provider {ref.provider.describe()}; it is not installed"
        ) from exc
