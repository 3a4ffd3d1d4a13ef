"""Passwords of accounts kept in the database (argon2id, via argon2-cffi), and login throttling.

A user name that keeps failing is refused for a while, whatever password comes next: guessing a
password over the login form then takes years, not minutes. Failures are counted where every
instance sees them (the database), or in memory on a single machine.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_CHARS = 10
_hasher = PasswordHasher()  # argon2id with the library's current recommended cost


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (salted; the parameters are kept in the hash)."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return str(_hasher.hash(password))


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches the stored hash (False for a damaged hash, never an exception)."""
    try:
        return bool(_hasher.verify(stored, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class FailureStore(Protocol):
    """Where failed logins are counted."""

    def failures(self, key: str, since: float) -> int:
        """Failures of `key` at or after `since` (epoch seconds)."""
        ...

    def record(self, key: str, at: float) -> None:
        """One more failure of `key`."""
        ...

    def clear(self, key: str) -> None:
        """Forget the failures of `key` (after a good login)."""
        ...


class MemoryFailures:
    """Failures in this process only (one instance on one machine)."""

    def __init__(self) -> None:
        self._seen: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def failures(self, key: str, since: float) -> int:
        """See FailureStore."""
        with self._lock:
            kept = [t for t in self._seen.get(key, []) if t >= since]
            self._seen[key] = kept
            return len(kept)

    def record(self, key: str, at: float) -> None:
        """See FailureStore."""
        with self._lock:
            self._seen[key].append(at)

    def clear(self, key: str) -> None:
        """See FailureStore."""
        with self._lock:
            self._seen.pop(key, None)


class LoginThrottle:
    """At most `limit` failed logins per user name in any `window_seconds`; past that, the name is
    refused until the oldest failure leaves the window."""

    def __init__(
        self,
        store: FailureStore,
        *,
        limit: int = 5,
        window_seconds: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.limit = limit
        self.window = window_seconds
        self._clock = clock

    def blocked(self, user: str) -> bool:
        """Whether logins of `user` are refused now."""
        return self.store.failures(user, self._clock() - self.window) >= self.limit

    def failed(self, user: str) -> None:
        """Count a failed login of `user`."""
        self.store.record(user, self._clock())

    def succeeded(self, user: str) -> None:
        """A good login: earlier failures no longer count."""
        self.store.clear(user)
