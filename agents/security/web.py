"""Guards in front of Chainlit: what the browser app accepts before any handler runs.

- Session ids must be canonical UUIDs (Chainlit's own front end makes them with `uuid4`): the id
  names a folder of uploads that Chainlit deletes when the session ends, so a crafted id must never
  reach the file system. Checked when a socket connects and again wherever the folder is named.
- Cross-site requests are refused: a socket.io handshake or a state-changing request whose `Origin`
  is not allowed gets 403 (Chainlit turns socket.io's own origin check off). Allowed: the origin
  being served, or the list in `COACH_ALLOWED_ORIGINS` for deployments behind a proxy.
- The `Host` must be this machine (a loopback name or an IP address) or a host of an allowed
  origin, so a rebinding DNS name cannot make a foreign page same-origin.
- Request bodies are bounded while they arrive, so an upload over the limit is refused without
  being read into memory.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CLIENT_TYPES = frozenset({"webapp", "copilot", "teams", "slack", "discord"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def is_session_id(value: object) -> bool:
    """Whether `value` is a canonical lower-case UUID string, the only session id accepted."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def socket_auth_problem(auth: object) -> str | None:
    """What is wrong with a socket.io connection's `auth` payload, or None when it is acceptable."""
    if not isinstance(auth, dict):
        return "missing connection details"
    if not is_session_id(auth.get("sessionId")):
        return "invalid session id"
    if auth.get("clientType") not in _CLIENT_TYPES:
        return "invalid client type"
    thread = auth.get("threadId")
    if thread not in (None, "") and not is_session_id(thread):  # the page sends "" for a new thread
        return "invalid thread id"
    for key in ("userEnv", "chatProfile"):
        value = auth.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 4096):
            return f"invalid {key}"
    return None


def parse_origins(raw: str | None) -> frozenset[str]:
    """`COACH_ALLOWED_ORIGINS` ('https://a.example, https://b.example:8443') as normalised origins.

    Raises ValueError naming the entry that is not an origin (scheme and host, nothing after).
    """
    out: set[str] = set()
    for pos, entry in enumerate(filter(None, (e.strip() for e in (raw or "").split(","))), start=1):
        origin = normalise_origin(entry)
        if origin is None:
            raise ValueError(
                f"COACH_ALLOWED_ORIGINS entry {pos} ({entry[:60]!r}) is not an origin like https://coach.example.org"
            )
        out.add(origin)
    return frozenset(out)


def normalise_origin(value: str) -> str | None:
    """'scheme://host[:port]' in lower case with the default port dropped, or None if not an origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    shown = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        shown = f"{shown}:{port}"
    return f"{parts.scheme}://{shown}"


def _split_host(host_header: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit("//" + host_header.strip())
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", None


def _is_local_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True  # an address literal cannot be rebound by DNS


@dataclass
class GuardSettings:
    """What `RequestGuard` allows; kept by reference, so a change applies to the running guard."""

    allowed_origins: frozenset[str] = frozenset()
    socket_path: str = "/ws/socket.io"
    max_body_bytes: int = 3 * 1024 * 1024

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """Host names of the allowed origins."""
        return frozenset(_split_host(urlsplit(o).netloc)[0] for o in self.allowed_origins)


class RequestGuard:
    """ASGI middleware: host, origin and body-size checks for every HTTP and websocket request."""

    def __init__(self, app: ASGIApp, settings: GuardSettings | None = None) -> None:
        self.app = app
        self.settings = settings or GuardSettings()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse what must not reach Chainlit; pass everything else through unchanged."""
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        problem = self._problem(scope, headers)
        if problem is not None:
            await _refuse(kind, receive, send, 403, problem)
            return
        if kind == "http":
            await self._bounded(scope, receive, send, headers)
            return
        await self.app(scope, receive, send)

    def _problem(self, scope: Scope, headers: dict[str, str]) -> str | None:
        host, _port = _split_host(headers.get("host", ""))
        if not host or not (_is_local_host(host) or host in self.settings.allowed_hosts):
            return f"host {host or '(none)'} is not served here; set COACH_ALLOWED_ORIGINS to the address users open"
        origin = headers.get("origin")
        if origin is None:
            return None  # not a cross-site browser request (browsers send Origin on those)
        checked = (
            scope["type"] == "websocket"
            or str(scope.get("path", "")).startswith(self.settings.socket_path)
            or str(scope.get("method", "GET")).upper() not in _SAFE_METHODS
        )
        if not checked or self._origin_allowed(origin, headers.get("host", "")):
            return None
        return f"origin {origin[:100]} is not allowed; set COACH_ALLOWED_ORIGINS to allow it"

    def _origin_allowed(self, origin: str, host_header: str) -> bool:
        normal = normalise_origin(origin)
        if normal is None:
            return False
        if self.settings.allowed_origins:
            return normal in self.settings.allowed_origins
        # Same origin: the Origin names the host and port this request was sent to.
        o_host, o_port = _split_host(urlsplit(normal).netloc)
        h_host, h_port = _split_host(host_header)
        scheme = urlsplit(normal).scheme
        default = _DEFAULT_PORTS[scheme]
        return o_host == h_host and (o_port or default) == (h_port or default)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        declared = headers.get("content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.settings.max_body_bytes):
            await _refuse("http", receive, send, 413, f"request body over {self.settings.max_body_bytes:,} bytes")
            return
        seen = 0
        over = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.settings.max_body_bytes:
                    over = True
                    return {"type": "http.disconnect"}  # the app stops reading; nothing more is kept
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the 413 below answers instead
            started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _send_plain(send, 413, f"request body over {self.settings.max_body_bytes:,} bytes")


async def _send_plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _refuse(kind: str, receive: Receive, send: Send, status: int, text: str) -> None:
    if kind == "websocket":
        # Closing before accepting makes the server answer the upgrade with 403.
        await receive()
        await send({"type": "websocket.close", "code": 1008, "reason": text[:120]})
        return
    await _send_plain(send, status, text)
