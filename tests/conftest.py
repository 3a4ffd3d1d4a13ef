"""Shared fixtures: no test reaches the network, settings come from a clean environment, the
mock model starts empty, and retries never wait."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Chainlit writes its config and translations under the app root at import time: keep that the repo.
os.environ.setdefault("CHAINLIT_APP_ROOT", str(ROOT))

from agents.domain.library import PromptLibrary, load_library  # noqa: E402
from agents.models.fake import MOCK_SCRIPT  # noqa: E402
from benchmarks.servers import postgres_available, postgres_server  # noqa: E402
from tests.real_parts import require_real_part  # noqa: E402

_ENV_KEYS = [k for k in os.environ if k.startswith(("COACH_", "OPENAI_", "AZURE_OPENAI"))]


def _is_loopback(address: object) -> bool:
    if isinstance(address, str):
        return True  # a Unix socket path
    if not (isinstance(address, tuple) and address):
        return False
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to connect anywhere but loopback (real endpoints are never called in tests)."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(self: socket.socket, address: object) -> object:
        if not _is_loopback(address):
            raise RuntimeError(f"tests must not reach the network (tried {address!r})")
        return real_connect(self, address)  # type: ignore[arg-type]

    def guarded_ex(self: socket.socket, address: object) -> object:
        if not _is_loopback(address):
            raise RuntimeError(f"tests must not reach the network (tried {address!r})")
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings from a known environment: offline unless a test says otherwise, data in tmp, no waits."""
    for key in _ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "COACH_MODE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COACH_RETRY_MAX_WAIT", "0")
    monkeypatch.chdir(tmp_path)  # so a developer's .env is never read


@pytest.fixture(autouse=True)
def mock_script() -> Iterator[object]:
    """The mock model's script, empty at the start of every test."""
    MOCK_SCRIPT.reset()
    yield MOCK_SCRIPT
    MOCK_SCRIPT.reset()


@pytest.fixture(scope="session")
def library() -> PromptLibrary:
    """The shipped prompt library."""
    return load_library(ROOT / "prompts")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures measured by tests (agreement, fault counts) after the run."""
    from tests.figures import FIGURES

    if FIGURES:
        terminalreporter.section("measured figures")
        for block in FIGURES:
            terminalreporter.write_line(block)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A PostgreSQL server of the module's own (Debian's package) on a free loopback port: its URL."""
    require_real_part(postgres_available(), "PostgreSQL's server", "apt-get install postgresql")
    with postgres_server() as url:
        yield url
