"""Signing in from the terminal, with the same users, secret and revocations as the browser.

With login on (COACH_AUTH_USERS), `coach login` checks a password and keeps a login in the data
folder (0600); `coach interview`, `--resume` and `--drill` then act as that user and see only their
interviews. The login ends exactly when a browser login would: at `coach logout` (or a browser
logout of that user), when the user is removed, when the password changes. With login off, every
interview belongs to one local owner.
"""

from __future__ import annotations

import json
from pathlib import Path

from agents.adapters.accounts import Accounts
from agents.adapters.web.auth import token_policy
from agents.config import Settings
from agents.errors import ConfigurationError
from agents.security.files import atomic_write
from agents.security.tokens import TokenRejected


def _path(settings: Settings) -> Path:
    return settings.coach_data_dir / "terminal-login.json"


def login(settings: Settings, user: str, password: str) -> None:
    """Check the password and keep this terminal's login. Raises ConfigurationError when login is
    off or the name or password is wrong (without saying which)."""
    accounts = Accounts(settings)
    if not accounts.enabled:
        raise ConfigurationError(
            "login is off (no COACH_AUTH_USERS and no accounts in the database): every interview is yours already"
        )
    if accounts.authenticate(user, password) is None:
        raise ConfigurationError("that user name and password do not match (or too many attempts failed: wait)")
    credential = accounts.credential(user)
    assert credential is not None  # the user just logged in
    claims = token_policy(settings, accounts).claims(user, credential)
    atomic_write(_path(settings), json.dumps({"user": user, "claims": claims}).encode("utf-8"))


def current_owner(settings: Settings) -> str | None:
    """Who the terminal acts as: None with login off; with login on, the signed-in user, or
    ConfigurationError saying how to sign in (again)."""
    accounts = Accounts(settings)
    if not accounts.enabled:
        return None
    try:
        saved = json.loads(_path(settings).read_text(encoding="utf-8"))
        user, claims = str(saved["user"]), dict(saved["claims"])
    except FileNotFoundError:
        raise ConfigurationError("login is on: sign in first with `coach login --user NAME`") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise ConfigurationError("the terminal's login could not be read: sign in again with `coach login`") from None
    try:
        token_policy(settings, accounts).check(user, claims)
    except TokenRejected as exc:
        raise ConfigurationError(f"your terminal login has ended ({exc}): sign in again with `coach login`") from None
    return user


def logout(settings: Settings) -> str | None:
    """End every login of the signed-in user (the browser's too, as a browser logout does) and
    forget this terminal's; the user's name, or None if nobody was signed in."""
    path = _path(settings)
    try:
        user = str(json.loads(path.read_text(encoding="utf-8"))["user"])
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None
    accounts = Accounts(settings)
    if accounts.enabled:
        token_policy(settings, accounts).logout(user)
    path.unlink(missing_ok=True)
    return user
