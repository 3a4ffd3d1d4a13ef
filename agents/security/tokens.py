"""Login tokens that stop working when they should: after logout, when the user is removed from
`COACH_AUTH_USERS`, and when their password changes.

Each token carries two claims of ours: a fingerprint of the credential it was issued for (a keyed
hash of the user name and password under the auth secret, so a password change or removal breaks
it) and the moment of login (so a logout revokes every token issued before it, on every device).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from agents.security.files import atomic_write, ensure_private_dir

CLAIM_CREDENTIAL = "credential"
CLAIM_LOGIN_AT = "login_at"


class TokenRejected(Exception):
    """A token that is well signed but no longer valid; the message says why (never the token)."""


class RevocationStore(Protocol):
    """Where logouts are remembered: the time before which a user's tokens no longer count."""

    def revoked_before(self, user: str) -> float:
        """Epoch seconds; tokens of `user` issued at or before this are revoked (0 when none)."""
        ...

    def revoke(self, user: str, at: float) -> None:
        """Revoke every token of `user` issued at or before `at`."""
        ...


class FileRevocations:
    """Revocations in one private JSON file in the data folder, re-read when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cache: tuple[float, dict[str, float]] | None = None

    def _load(self) -> dict[str, float]:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache is not None and self._cache[0] == mtime:
            return self._cache[1]
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        data = {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)} if isinstance(raw, dict) else {}
        self._cache = (mtime, data)
        return data

    def revoked_before(self, user: str) -> float:
        """See RevocationStore."""
        return self._load().get(user, 0.0)

    def revoke(self, user: str, at: float) -> None:
        """See RevocationStore. Written under a lock, atomically, 0600."""
        ensure_private_dir(self.path.parent)
        lock = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._cache = None
            data = dict(self._load())
            data[user] = max(at, data.get(user, 0.0))
            atomic_write(self.path, json.dumps(data).encode("utf-8"))
            self._cache = None
        finally:
            os.close(lock)


class TokenPolicy:
    """Issues our claims at login and checks them on every use of a token."""

    def __init__(
        self,
        credential: Callable[[str], str | None],
        secret: Callable[[], str | None],
        revocations: RevocationStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._credential = credential
        self._secret = secret
        self.revocations = revocations
        self._clock = clock

    def _fingerprint(self, user: str, credential: str) -> str:
        secret = self._secret()
        if not secret:
            raise TokenRejected("login is not configured (no auth secret)")
        message = b"credential\0" + user.encode("utf-8") + b"\0" + credential.encode("utf-8")
        return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]

    def claims(self, user: str, credential: str) -> dict[str, Any]:
        """What a fresh login's token carries besides the user name (`credential`: what the user
        logged in with as the deployment keeps it: a listed password, or an account's hash)."""
        return {CLAIM_CREDENTIAL: self._fingerprint(user, credential), CLAIM_LOGIN_AT: self._clock()}

    def check(self, user: str, metadata: Mapping[str, Any] | None) -> None:
        """Raise TokenRejected unless the token of `user` with these claims is still good."""
        credential = self._credential(user)
        if credential is None:
            raise TokenRejected("this user no longer has access")
        claims = metadata or {}
        fingerprint = claims.get(CLAIM_CREDENTIAL)
        expected = self._fingerprint(user, credential)
        if not isinstance(fingerprint, str) or not hmac.compare_digest(fingerprint, expected):
            raise TokenRejected("the password changed since this login")
        login_at = claims.get(CLAIM_LOGIN_AT)
        if not isinstance(login_at, int | float) or login_at <= self.revocations.revoked_before(user):
            raise TokenRejected("this login was ended (logged out)")

    def logout(self, user: str) -> None:
        """End every login of `user` made up to now."""
        self.revocations.revoke(user, self._clock())
