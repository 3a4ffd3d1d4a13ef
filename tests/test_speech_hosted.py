"""The hosted speech seam against a loopback OpenAI-compatible server: the real `openai` client
posts the recording as a WAV with the scenario's terms as its prompt, transient failures are
retried, others become a clear SpeechError; the provider's voice reads a question aloud."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import numpy as np
import pytest

from agents.config import load_settings
from agents.errors import SpeechError
from agents.speech.audio import RATE, wav_bytes
from agents.speech.engines import HostedTranscriber, Request
from agents.speech.factory import make_speaker, make_transcriber, openai_client


class Provider(BaseHTTPRequestHandler):
    """`/v1/audio/transcriptions` and `/v1/audio/speech`, failing first as told."""

    failures: ClassVar[list[int]] = []
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).bodies.append(body)
        if type(self).failures:
            self.send_response(type(self).failures.pop(0))
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "try later"}}')
            return
        if self.path.endswith("/audio/transcriptions"):
            reply, kind = b"The AI should tell her to call 999.", "text/plain"
        else:
            reply, kind = (
                wav_bytes(np.sin(np.arange(RATE) / RATE * 2 * np.pi * 300).astype(np.float32) * 0.3),
                "audio/wav",
            )
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def provider() -> Iterator[str]:
    Provider.failures, Provider.bodies = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def settings_for(url: str, **extra: Any) -> Any:
    return load_settings(openai_base_url=url, openai_api_key="test-key", coach_max_retries=3, **extra)


def one_second() -> np.ndarray:
    return (np.sin(np.arange(RATE) / RATE * 2 * np.pi * 220) * 0.3).astype(np.float32)


def test_the_recording_goes_as_a_wav_with_the_scenarios_terms(provider: str) -> None:
    settings = settings_for(provider)
    assert settings.coach_stt == "hosted"  # openai mode hears with the provider (once the user agrees)
    transcriber = make_transcriber(settings, hosted_allowed=True)
    assert isinstance(transcriber, HostedTranscriber) and not transcriber.local
    text = transcriber.transcribe(Request(one_second(), ["valproate", "NHS 111"], ["um"]))
    assert text == "The AI should tell her to call 999."
    (body,) = Provider.bodies
    assert b"RIFF" in body and b"gpt-4o-mini-transcribe" in body and b"valproate, NHS 111" in body


def test_until_the_user_agrees_the_local_model_hears(provider: str) -> None:
    assert make_transcriber(settings_for(provider), hosted_allowed=False).local


def test_transient_failures_are_retried_and_others_named(provider: str) -> None:
    transcriber = make_transcriber(settings_for(provider), hosted_allowed=True)
    Provider.failures = [503, 429]
    assert transcriber.transcribe(Request(one_second())) == "The AI should tell her to call 999."
    assert len(Provider.bodies) == 3
    Provider.failures = [400]
    with pytest.raises(SpeechError, match="speech-to-text provider failed"):
        transcriber.transcribe(Request(one_second()))
    assert len(Provider.bodies) == 4  # a bad request is not retried


def test_the_providers_voice_reads_questions(provider: str) -> None:
    speaker = make_speaker(settings_for(provider, coach_tts="hosted"))
    assert speaker is not None
    wav = speaker.speak("**Question:** what should the AI have said?")
    assert wav.startswith(b"RIFF")
    assert b"what should the AI have said?" in Provider.bodies[-1] and b"**" not in Provider.bodies[-1]


def test_the_client_leaves_retries_to_the_seam(provider: str) -> None:
    client = openai_client(settings_for(provider))
    assert str(client.base_url).startswith(provider) and client.max_retries == 0
