"""A loopback OpenAI-compatible server for tests and benchmarks: fixed latency, streaming, model
listing, optional JSON-schema support, and injected faults (429 with Retry-After, 500/503, slow
replies, dropped connections, streams cut half-way, invalid or off-schema judge output)."""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CRITERIA = [f"{p}{n}" for p in "SBJUCF" for n in range(1, 5)]
FAULTS = ("429", "500", "503", "slow", "drop", "cut_stream", "bad_json", "bad_schema")


def requested_criteria(messages: list[dict[str, Any]]) -> list[str]:
    """The criteria a judge request asks for (all 24 unless it names a subset)."""
    text = json.dumps(messages)
    m = re.search(r"only these criteria: ([A-Z0-9, ]+)", text)
    return [c.strip() for c in m.group(1).split(",") if c.strip()] if m else list(CRITERIA)


def default_reply(messages: list[dict[str, Any]], wants_json: bool) -> str:
    """A judge reply (the criteria asked for, valid) when JSON is wanted, else a short interviewer line."""
    if wants_json or "Score this transcript" in json.dumps(messages):
        wanted = requested_criteria(messages)
        return json.dumps(
            {"criteria": [{"id": c, "evidence": [], "reasoning": "stub", "met": c in ("B4", "F1")} for c in wanted]}
        )
    return "Thank you. At what point, and to whom, should the model hand over, and how fast?"


class _QuietServer(ThreadingHTTPServer):
    """Clients that give up (timeouts, injected drops) are expected here, not errors."""

    # socketserver's default listen backlog is 5: a burst of 16 connections overflows it, and the
    # kernel drops the extra SYNs, which the client only resends after a 1 s timeout.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


@dataclass
class StubConfig:
    """How the stub behaves; change it between requests from the test."""

    models: list[str] = field(default_factory=lambda: ["stub-model"])
    latency: float = 0.0
    # As real servers: each call also costs prefill per prompt token and decode per completion token
    # (tokens counted as characters / 4). The async stub only (StubProcess).
    prefill_per_token: float = 0.0
    decode_per_token: float = 0.0
    token_delay: float = 0.0
    json_schema: bool = True
    json_object: bool = True
    fault_rate: float = 0.0
    faults: tuple[str, ...] = FAULTS
    slow_seconds: float = 3.0
    retry_after: str = "0"
    seed: int = 0
    reply: Callable[[list[dict[str, Any]], bool], str] = default_reply


class StubServer:
    """Start with `with StubServer() as stub:`; `stub.base_url` ends in /v1."""

    def __init__(self, config: StubConfig | None = None) -> None:
        self.config = config or StubConfig()
        self.requests = 0
        self.faults: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _pick_fault(self, stream: bool, wants_json: bool) -> str | None:
        with self._lock:
            self.requests += 1
            if self._rng.random() >= self.config.fault_rate:
                return None
            options = [f for f in self.config.faults if (f != "cut_stream" or stream)]
            options = [f for f in options if f not in ("bad_json", "bad_schema") or wants_json]
            fault = self._rng.choice(options) if options else None
            if fault:
                self.faults[fault] += 1
            return fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes; no 40 ms stalls

            def log_message(self, *args: object) -> None:  # keep test output quiet
                return

            def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    data = [{"id": m, "object": "model", "owned_by": "stub"} for m in stub.config.models]
                    self._json(200, {"object": "list", "data": data})
                elif self.path.endswith("/health"):
                    self._json(200, {"status": "ok"})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with stub._lock:
                    stub.bodies.append(body)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found"}})
                    return
                cfg = stub.config
                model = body.get("model")
                if model not in cfg.models:
                    self._json(
                        404, {"error": {"message": f"The model `{model}` does not exist", "code": "model_not_found"}}
                    )
                    return
                fmt = (body.get("response_format") or {}).get("type")
                if (fmt == "json_schema" and not cfg.json_schema) or (fmt == "json_object" and not cfg.json_object):
                    self._json(400, {"error": {"message": f"response_format {fmt} is not supported"}})
                    return
                stream = bool(body.get("stream"))
                wants_json = fmt in ("json_schema", "json_object")
                fault = stub._pick_fault(stream, wants_json)
                if cfg.latency:
                    time.sleep(cfg.latency)
                if fault in ("429", "500", "503"):
                    headers = {"Retry-After": cfg.retry_after} if fault == "429" else {}
                    self._json(int(fault), {"error": {"message": f"injected {fault}"}}, headers)
                    return
                if fault == "slow":
                    time.sleep(cfg.slow_seconds)
                if fault == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                text = cfg.reply(body.get("messages", []), wants_json)
                if fault == "bad_json":
                    text = "Sure! Here are the scores: {criteria: [S1 met"
                elif fault == "bad_schema":
                    text = json.dumps({"criteria": [{"id": "S1", "met": "yes"}]})
                usage = {
                    "prompt_tokens": len(json.dumps(body.get("messages", []))) // 4,
                    "completion_tokens": max(1, len(text) // 4),
                }
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
                if not stream:
                    self._json(
                        200,
                        {
                            "id": "chatcmpl-stub",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": model,
                            "choices": [
                                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                            ],
                            "usage": usage,
                        },
                    )
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                words = text.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                for i, piece in enumerate(pieces):
                    if fault == "cut_stream" and i >= max(1, len(pieces) // 2):
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    chunk = {
                        "id": "chatcmpl-stub",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": model,
                        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if cfg.token_delay:
                        time.sleep(cfg.token_delay)
                done = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": usage,
                }
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        return Handler


class StubProcess:
    """The stub in a separate process, so a benchmark's client does not share its interpreter.

    It serves from one asyncio loop rather than a thread per connection, and counts its latency
    from the moment a request has arrived, so each call takes the configured latency and no more:
    the benchmarks then measure the client, not the stub. Faults are not injected here.
    """

    def __init__(self, **config: Any) -> None:
        import subprocess
        import sys

        self._proc = subprocess.Popen(
            [sys.executable, "-m", "evals.stub", json.dumps(config)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent),
        )
        assert self._proc.stdout is not None
        self.base_url = self._proc.stdout.readline().strip()

    def __enter__(self) -> StubProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self._proc.terminate()
        self._proc.wait(10)


def _chunk(model: str, delta: dict[str, Any], finish: str | None, usage: dict[str, int] | None = None) -> bytes:
    payload: dict[str, Any] = {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        payload["usage"] = usage
    return f"data: {json.dumps(payload)}\n\n".encode()


async def _serve_async(config: StubConfig) -> None:
    import asyncio

    def head(status: int, headers: dict[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def json_reply(status: int, payload: Any) -> bytes:
        body = json.dumps(payload).encode()
        return head(status, {"Content-Type": "application/json", "Content-Length": str(len(body))}) + body

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                arrived = time.perf_counter()
                request_line, *header_lines = raw.decode("latin-1").split("\r\n")
                method = request_line.split(" ")[0]
                headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
                body = json.loads(await reader.readexactly(int(headers.get("content-length", "0"))) or b"{}")
                if method == "GET":
                    data = [{"id": m, "object": "model", "owned_by": "stub"} for m in config.models]
                    writer.write(json_reply(200, {"object": "list", "data": data}))
                    await writer.drain()
                    continue
                model = body.get("model")
                fmt = (body.get("response_format") or {}).get("type")
                wants_json = fmt in ("json_schema", "json_object")
                if model not in config.models:
                    writer.write(json_reply(404, {"error": {"message": f"The model `{model}` does not exist"}}))
                    await writer.drain()
                    continue
                text = config.reply(body.get("messages", []), wants_json)
                prompt_tokens = len(json.dumps(body.get("messages", []))) // 4
                usage = {"prompt_tokens": prompt_tokens, "completion_tokens": max(1, len(text) // 4)}
                cost = (
                    config.latency
                    + config.prefill_per_token * usage["prompt_tokens"]
                    + config.decode_per_token * usage["completion_tokens"]
                )
                await asyncio.sleep(max(0.0, cost - (time.perf_counter() - arrived)))
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
                if not body.get("stream"):
                    message = {"role": "assistant", "content": text}
                    choice = {"index": 0, "message": message, "finish_reason": "stop"}
                    reply = {"id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time())}
                    writer.write(json_reply(200, {**reply, "model": model, "choices": [choice], "usage": usage}))
                    await writer.drain()
                    continue
                writer.write(head(200, {"Content-Type": "text/event-stream", "Connection": "close"}))
                words = text.split(" ")
                for i, word in enumerate(words):
                    writer.write(_chunk(model, {"content": word + (" " if i < len(words) - 1 else "")}, None))
                    await writer.drain()
                writer.write(_chunk(model, {}, "stop", usage) + b"data: [DONE]\n\n")
                await writer.drain()
                break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256)
    port = server.sockets[0].getsockname()[1]
    print(f"http://127.0.0.1:{port}/v1", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import asyncio
    import sys

    asyncio.run(_serve_async(StubConfig(**json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}"))))
