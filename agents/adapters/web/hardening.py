"""Chainlit, hardened: installs the guards of `agents.security` into Chainlit's server once.

Chainlit (2.12) takes the socket's session id unchecked and names a folder of uploads after it,
which it deletes when the session ends; its socket.io server checks no origin; its login tokens
live 15 days whatever happens to the user. These guards close each, without changing Chainlit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from agents.security.tokens import TokenPolicy, TokenRejected
from agents.security.web import GuardSettings, RequestGuard, is_session_id, socket_auth_problem

logger = logging.getLogger("coach.security")
_installed: dict[str, Any] = {}


def install_request_guard(allowed_origins: frozenset[str]) -> GuardSettings:
    """Put `RequestGuard` in front of Chainlit's whole app (pages, API and socket.io), once per
    process; a later call (tests reload the app) changes the allowed origins of the one in place."""
    if "guard" in _installed:
        settings: GuardSettings = _installed["guard"]
        settings.allowed_origins = allowed_origins
        return settings
    from chainlit.config import config
    from chainlit.server import SOCKET_IO_PATH, app

    upload = config.features.spontaneous_file_upload
    limit_mb = upload.max_size_mb if upload is not None and upload.max_size_mb else 2
    settings = GuardSettings(
        allowed_origins=allowed_origins,
        socket_path=SOCKET_IO_PATH,
        # The upload limit plus room for the multipart wrapping around the file.
        max_body_bytes=limit_mb * 1024 * 1024 + 256 * 1024,
    )
    app.add_middleware(RequestGuard, settings=settings)
    _installed["guard"] = settings
    return settings


def install_session_guards() -> None:
    """Refuse sockets whose session id is not a UUID, and never name a folder after one. Once."""
    if "sessions" in _installed:
        return
    from chainlit.server import sio
    from chainlit.session import BaseSession

    original = sio.handlers["/"]["connect"]

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
        problem = socket_auth_problem(auth)
        if problem is not None:
            logger.warning("socket connection refused: %s", problem)  # the reason only, never the values
            raise ConnectionRefusedError(problem)
        return await original(sid, environ, auth)

    sio.handlers["/"]["connect"] = connect

    def files_dir(self: Any) -> Path:
        from chainlit.config import FILES_DIRECTORY

        if not is_session_id(self.id):
            # Second line of defence: whatever reached here, no folder outside .files is named.
            raise ValueError("refusing a session id that is not a UUID")
        return Path(FILES_DIRECTORY) / str(self.id)

    BaseSession.files_dir = property(files_dir)  # type: ignore[method-assign,assignment]
    _installed["sessions"] = True


def install_token_policy(policy: TokenPolicy) -> Callable[[Any, Any], Awaitable[dict[str, bool]]]:
    """Check our claims on every token Chainlit decodes; returns the logout handler to register."""
    import chainlit.auth as cl_auth
    import chainlit.auth.jwt as cl_jwt
    import chainlit.server as cl_server
    from jwt import InvalidTokenError

    original = _installed.setdefault("decode_jwt", cl_jwt.decode_jwt)
    _installed["policy"] = policy

    def decode_jwt(token: str) -> Any:
        user = original(token)
        try:
            _installed["policy"].check(user.identifier, user.metadata)
        except TokenRejected as exc:
            raise InvalidTokenError(str(exc)) from None
        return user

    # Both modules imported the function by name: replace it in each.
    cl_auth.decode_jwt = decode_jwt  # type: ignore[attr-defined]
    cl_server.decode_jwt = decode_jwt  # type: ignore[attr-defined]

    async def on_logout(request: Any, response: Any) -> dict[str, bool]:
        token = cl_auth.get_token_from_cookies(dict(request.cookies))
        if token:
            try:
                user = original(token)
            except Exception:  # an expired or foreign token: nothing to revoke
                return {"success": True}
            _installed["policy"].logout(user.identifier)
            await _disconnect_user(user.identifier)
        return {"success": True}

    return on_logout


async def _disconnect_user(identifier: str) -> None:
    """Close every open socket of a user who logged out: a revoked login must not keep a live one."""
    from chainlit.server import sio
    from chainlit.session import ws_sessions_id

    for session in list(ws_sessions_id.values()):
        if session.user is not None and session.user.identifier == identifier:
            await sio.disconnect(session.socket_id)
