"""The one place speech engines are built, from configuration (COACH_STT, COACH_TTS)."""

from __future__ import annotations

from typing import Any

from agents.config import Settings
from agents.errors import ConfigurationError
from agents.speech.engines import FakeTranscriber, HostedTranscriber, LocalWhisper, Transcriber
from agents.speech.voice import EspeakSpeaker, HostedSpeaker, Speaker


def openai_client(settings: Settings) -> Any:
    """A client of the configured OpenAI-compatible endpoint (retries are the caller's)."""
    import openai

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    return openai.OpenAI(
        api_key=key, base_url=settings.openai_base_url, timeout=settings.coach_request_timeout, max_retries=0
    )


def make_transcriber(settings: Settings, *, hosted_allowed: bool = True) -> Transcriber:
    """Speech-to-text as configured. `hosted_allowed` is False until the user has agreed to send
    their audio to the provider; until then (and with COACH_LOCAL_ONLY) the local model hears it."""
    choice = settings.coach_stt or "local"
    if choice == "fake":
        return FakeTranscriber()
    if choice == "hosted" and hosted_allowed and not settings.coach_local_only:
        return HostedTranscriber(
            openai_client(settings),
            settings.coach_stt_hosted_model,
            attempts=settings.coach_max_retries,
            max_wait=settings.coach_retry_max_wait,
        )
    return LocalWhisper(settings.coach_stt_model, beam_size=settings.coach_stt_beam_size)


def make_speaker(settings: Settings) -> Speaker | None:
    """The interviewer's voice as configured, or None when reading aloud is off (or cannot work here:
    the reason is raised as ConfigurationError, for `coach doctor` and the first use to show)."""
    if settings.coach_tts == "off":
        return None
    if settings.coach_tts == "hosted":
        if settings.coach_local_only:
            raise ConfigurationError("COACH_LOCAL_ONLY is set: questions cannot be voiced by a provider")
        # The espeak-ng voice names (en-gb…) mean nothing to a provider: its own default voice then.
        voice = settings.coach_tts_voice if not settings.coach_tts_voice.startswith("en") else "alloy"
        return HostedSpeaker(openai_client(settings), settings.coach_tts_hosted_model, voice)
    return EspeakSpeaker(settings.coach_tts_voice)
