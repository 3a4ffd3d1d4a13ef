"""One instance among several: its name on every response (the cookie the load balancer routes by)
and a /health that says whether the interviews' storage answers.

Chainlit keeps each connection's state in its process, so a browser must keep reaching the instance
it started on; `coach deploy nginx` writes a balancer configuration that routes by the
`coach_instance` cookie set here, and sends a browser whose instance died to another one (which
then sets its own name).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "coach_instance"
logger = logging.getLogger("coach.instance")
_installed: dict[str, Any] = {}


class InstanceCookie:
    """ASGI middleware: every HTTP response names the instance that served it (SameSite=Lax,
    HttpOnly; it holds no secret, only which of the deployment's instances this is)."""

    def __init__(self, app: ASGIApp, name: Callable[[], str | None]) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the cookie to the response's headers, when this instance has a name."""
        name = self.name()
        if scope.get("type") != "http" or not name:
            await self.app(scope, receive, send)
            return
        cookie = f"{COOKIE}={name}; Path=/; HttpOnly; SameSite=Lax".encode("latin-1")

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, named)


def install_instance(name: str | None, ping: Callable[[], Awaitable[None]]) -> None:
    """Name this instance on every response and answer /health with the storage's state; once per
    process (a later call, as tests make, changes the name and the check in place)."""
    _installed["name"] = name
    _installed["ping"] = ping
    if "routes" in _installed:
        return
    from chainlit.server import app
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def health(request: Any) -> JSONResponse:
        body: dict[str, Any] = {"status": "ok", "instance": _installed["name"]}
        try:
            await asyncio.wait_for(_installed["ping"](), timeout=5)
            body["storage"] = "ok"
        except Exception as exc:  # any failure to reach storage makes this instance unhealthy
            logger.warning("storage check failed: %s", type(exc).__name__)  # the kind only: URLs hold passwords
            body.update(status="unhealthy", storage=f"unreachable ({type(exc).__name__})")
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    # In front of Chainlit's own /health (which only says the process runs) and its catch-all page.
    app.router.routes.insert(0, Route("/health", health, methods=["GET"]))
    app.add_middleware(InstanceCookie, name=lambda: _installed["name"])
    _installed["routes"] = True
