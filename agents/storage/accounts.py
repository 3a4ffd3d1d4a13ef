"""Accounts of a cohort in the database: user name, argon2id password hash, role (candidate or
educator) and cohort; and failed logins, counted where every instance sees them.

Reads happen inside Chainlit's synchronous login and token checks, so this uses a small
synchronous engine on the interviews' database (see `sql_store.SyncTables`), the schema brought up
to date on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Column, DateTime, Float, Integer, String, Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from agents.domain.transcript import utc_now
from agents.errors import ConfigurationError
from agents.storage.sql_store import SyncTables, metadata

Role = Literal["candidate", "educator"]
ROLES: tuple[Role, ...] = ("candidate", "educator")

users = Table(
    "coach_users",
    metadata,
    Column("identifier", String(256), primary_key=True),
    Column("password_hash", String(512), nullable=False),
    Column("role", String(32), nullable=False),
    Column("cohort", String(128), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
login_failures = Table(
    "coach_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("identifier", String(256), nullable=False, index=True),
    Column("at", Float, nullable=False),
)


@dataclass(frozen=True)
class Account:
    """One account (never carries the password itself)."""

    name: str
    password_hash: str
    role: Role
    cohort: str | None


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 256 or any(c in name for c in ",:\n\r\t"):
        raise ConfigurationError("a user name must be 1-256 characters, without commas, colons or line breaks")
    return name


class AccountStore(SyncTables):
    """The accounts table."""

    def add(self, name: str, password_hash: str, role: Role = "candidate", cohort: str | None = None) -> Account:
        """A new account; ConfigurationError if the name is taken or malformed."""
        name = _check_name(name)
        if role not in ROLES:
            raise ConfigurationError(f"role must be one of {', '.join(ROLES)}")
        if role == "educator" and not cohort:
            raise ConfigurationError("an educator needs the cohort they teach (--cohort NAME)")
        try:
            with self.begin() as conn:
                conn.execute(
                    insert(users).values(
                        identifier=name, password_hash=password_hash, role=role, cohort=cohort, created_at=utc_now()
                    )
                )
        except IntegrityError:
            raise ConfigurationError(f"there is already an account called {name}") from None
        return Account(name, password_hash, role, cohort)

    def get(self, name: str) -> Account | None:
        """The account of `name`, if there is one."""
        with self.connect() as conn:
            row = conn.execute(select(users).where(users.c.identifier == name)).first()
        if row is None:
            return None
        role: Role = "educator" if row.role == "educator" else "candidate"
        return Account(row.identifier, row.password_hash, role, row.cohort)

    def all(self) -> list[Account]:
        """Every account, by name."""
        with self.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.identifier)).all()
        return [Account(r.identifier, r.password_hash, "educator" if r.role == "educator" else "candidate", r.cohort)
                for r in rows]  # fmt: skip

    def count(self) -> int:
        """How many accounts there are."""
        with self.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(users)) or 0)

    def members(self, cohort: str) -> list[str]:
        """The candidates of one cohort, by name."""
        with self.connect() as conn:
            rows = conn.execute(
                select(users.c.identifier)
                .where(users.c.cohort == cohort, users.c.role == "candidate")
                .order_by(users.c.identifier)
            ).all()
        return [str(r[0]) for r in rows]

    def set_password(self, name: str, password_hash: str) -> None:
        """A new password (every login made with the old one ends: tokens name the credential)."""
        with self.begin() as conn:
            done = conn.execute(update(users).where(users.c.identifier == name).values(password_hash=password_hash))
        if done.rowcount == 0:
            raise ConfigurationError(f"there is no account called {name}")

    def remove(self, name: str) -> None:
        """Remove an account (its logins end; its interviews stay until deleted or retained out)."""
        with self.begin() as conn:
            done = conn.execute(delete(users).where(users.c.identifier == name))
        if done.rowcount == 0:
            raise ConfigurationError(f"there is no account called {name}")


class DatabaseFailures(SyncTables):
    """Failed logins in the database (see `agents.security.passwords.FailureStore`)."""

    def failures(self, key: str, since: float) -> int:
        """See FailureStore; older rows are dropped on the way."""
        with self.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.identifier == key, login_failures.c.at < since))
            found = conn.scalar(
                select(func.count()).select_from(login_failures).where(login_failures.c.identifier == key)
            )
        return int(found or 0)

    def record(self, key: str, at: float) -> None:
        """See FailureStore."""
        with self.begin() as conn:
            conn.execute(insert(login_failures).values(identifier=key, at=at))

    def clear(self, key: str) -> None:
        """See FailureStore."""
        with self.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.identifier == key))
