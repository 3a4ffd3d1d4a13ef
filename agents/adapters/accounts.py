"""Who may log in, for the browser and the terminal alike: the quick `COACH_AUTH_USERS` list (one
machine), and accounts in the database (a cohort: argon2id hashes, roles, cohorts), with failed
logins throttled per user name on every instance.

Login is on when either holds a user. A login token names the credential it was issued for (the
password of a listed user, the hash of an account), so a password change ends older logins.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time

from agents.config import Settings
from agents.errors import ConfigurationError
from agents.security.passwords import LoginThrottle, MemoryFailures, hash_password, verify_password
from agents.storage.accounts import Account, AccountStore, DatabaseFailures, Role
from agents.storage.factory import database_url

logger = logging.getLogger("coach.accounts")


def listed_users(settings: Settings) -> dict[str, str]:
    """Users from COACH_AUTH_USERS ('name:password,name2:password2'); empty when unset."""
    if settings.coach_auth_users is None:
        return {}
    raw = settings.coach_auth_users.get_secret_value().strip()
    users: dict[str, str] = {}
    for pos, entry in enumerate(filter(None, (e.strip() for e in raw.split(","))), start=1):
        name, sep, password = entry.partition(":")
        if not sep or not name.strip() or not password:
            raise ConfigurationError(f"COACH_AUTH_USERS entry {pos} must look like 'name:password'")
        users[name.strip()] = password
    return users


class Accounts:
    """The users of this deployment and the checks on their logins."""

    def __init__(self, settings: Settings, *, cache_seconds: float = 1.0) -> None:
        self.listed = listed_users(settings)
        self.store = AccountStore(database_url(settings)) if settings.coach_store == "database" else None
        failures = DatabaseFailures(database_url(settings)) if self.store is not None else MemoryFailures()
        self.throttle = LoginThrottle(
            failures, limit=settings.coach_login_attempts, window_seconds=settings.coach_login_window_seconds
        )
        self._ttl = cache_seconds
        self._cache: dict[str, tuple[float, Account | None]] = {}

    @property
    def enabled(self) -> bool:
        """Whether login is on: a listed user, or an account in the database."""
        return bool(self.listed) or (self.store is not None and self.store.count() > 0)

    def account(self, name: str) -> Account | None:
        """The user `name` (a listed user is a candidate of no cohort), if there is one; accounts
        are re-read at most once a second, so a removal or a new password holds on every instance."""
        if name in self.listed:
            return Account(name, "", "candidate", None)
        if self.store is None:
            return None
        now = time.monotonic()
        hit = self._cache.get(name)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        found = self.store.get(name)
        self._cache[name] = (now, found)
        return found

    def credential(self, name: str) -> str | None:
        """What a token of `name` must have been issued for: the listed password, or the account's
        hash (None: no such user, so no token of theirs counts)."""
        if name in self.listed:
            return self.listed[name]
        found = self.account(name)
        return found.password_hash if found is not None else None

    def authenticate(self, name: str, password: str) -> Account | None:
        """The account when the password is right and the name is not throttled; else None (the
        caller says only that the login failed). Slow on purpose (argon2): call it off the loop."""
        if self.throttle.blocked(name):
            logger.warning("login refused: too many failed attempts for one user name")  # never the name
            return None
        found = self.account(name)
        if found is not None and name in self.listed:
            good = secrets.compare_digest(self.listed[name].encode(), password.encode())
        elif found is not None:
            good = verify_password(found.password_hash, password)
        else:
            verify_password(_dummy_hash(), password)  # as slow for an unknown name as for a known one
            good = False
        if good:
            self.throttle.succeeded(name)
            return found
        self.throttle.failed(name)
        return None

    def cohort_of(self, educator: str) -> str | None:
        """The cohort an educator teaches (None for anyone else)."""
        found = self.account(educator)
        return found.cohort if found is not None and found.role == "educator" else None

    def members(self, cohort: str) -> list[str]:
        """The candidates of a cohort."""
        return self.store.members(cohort) if self.store is not None else []

    # ----- administration (`coach users …`) -----------------------------------------------------

    def _required_store(self) -> AccountStore:
        if self.store is None:
            raise ConfigurationError(
                "accounts are kept in the database: set COACH_DATABASE_URL (or COACH_STORE=database for SQLite "
                "in the data folder); COACH_AUTH_USERS stays for a quick single-machine setup"
            )
        return self.store

    def add(self, name: str, password: str, role: Role = "candidate", cohort: str | None = None) -> Account:
        """A new account (the password hashed; ConfigurationError names what is wrong)."""
        if name in self.listed:
            raise ConfigurationError(f"{name} is already a user in COACH_AUTH_USERS")
        try:
            hashed = hash_password(password)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        return self._required_store().add(name, hashed, role, cohort)

    def set_password(self, name: str, password: str) -> None:
        """A new password for an account; its earlier logins end."""
        try:
            hashed = hash_password(password)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self._required_store().set_password(name, hashed)
        self._cache.pop(name, None)

    def remove(self, name: str) -> None:
        """Remove an account; its logins end."""
        self._required_store().remove(name)
        self._cache.pop(name, None)

    def all(self) -> list[Account]:
        """Every account in the database."""
        return self._required_store().all()


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
