"""A small OpenID-style identity provider on loopback, for logging in through Chainlit's generic
OAuth provider in tests: `/authorize` sends the browser straight back with a code for the user it
was told to vouch for, `/token` trades the code for an access token, `/userinfo` names the user."""

from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Provider:
    """The running provider: its base URL, and who it vouches for next."""

    url: str
    client_id: str = "coach-client"
    client_secret: str = field(default_factory=lambda: secrets.token_hex(16))
    next_user: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """The environment that points Chainlit's generic provider at this one."""
        return {
            "OAUTH_GENERIC_CLIENT_ID": self.client_id,
            "OAUTH_GENERIC_CLIENT_SECRET": self.client_secret,
            "OAUTH_GENERIC_AUTH_URL": f"{self.url}/authorize",
            "OAUTH_GENERIC_TOKEN_URL": f"{self.url}/token",
            "OAUTH_GENERIC_USER_INFO_URL": f"{self.url}/userinfo",
            "OAUTH_GENERIC_SCOPES": "openid email",
            "OAUTH_GENERIC_NAME": "trust-sso",
        }


@contextmanager
def identity_provider() -> Iterator[Provider]:
    """Start the provider on a free loopback port; stop it afterwards."""
    provider = Provider(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:  # quiet
            return

        def _reply(self, status: int, body: dict[str, Any] | None = None, location: str | None = None) -> None:
            data = json.dumps(body or {}).encode()
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/authorize":
                if query.get("client_id") != provider.client_id:
                    self._reply(400, {"error": "unknown client"})
                    return
                code = secrets.token_hex(8)
                provider.codes[code] = dict(provider.next_user)
                back = f"{query['redirect_uri']}?" + urllib.parse.urlencode({"code": code, "state": query["state"]})
                self._reply(302, location=back)
            elif url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in provider.tokens:
                    self._reply(401, {"error": "bad token"})
                    return
                self._reply(200, provider.tokens[token])
            else:
                self._reply(404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            provider.token_requests.append(form)
            user = provider.codes.pop(form.get("code", ""), None)
            if self.path != "/token" or user is None or form.get("client_secret") != provider.client_secret:
                self._reply(400, {"error": "invalid_grant"})
                return
            token = secrets.token_hex(12)
            provider.tokens[token] = user
            self._reply(200, {"access_token": token, "token_type": "Bearer"})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
