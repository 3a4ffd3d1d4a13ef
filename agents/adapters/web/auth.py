"""Login and chat-history storage for the browser app (authentication is off unless configured)."""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

from agents.adapters.accounts import Accounts
from agents.adapters.web.oauth import OAuthPolicy
from agents.config import Settings
from agents.security.tokens import TokenPolicy
from agents.storage.factory import history_url, make_revocations, require_shared_secret

SCHEMA = Path(__file__).resolve().parents[2] / "storage" / "sql" / "chainlit_sqlite.sql"


def ensure_auth_secret(data_dir: Path) -> None:
    """Chainlit signs logins with CHAINLIT_AUTH_SECRET; keep one in the data folder if none is set."""
    if os.environ.get("CHAINLIT_AUTH_SECRET"):
        return
    path = data_dir / ".auth_secret"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    os.environ["CHAINLIT_AUTH_SECRET"] = path.read_text().strip()


def token_policy(settings: Settings, accounts: Accounts | None = None, oauth: OAuthPolicy | None = None) -> TokenPolicy:
    """The login-token rules of this deployment, the same for the browser and the terminal: its
    users (and those an identity provider vouches for), the auth secret (required on a shared
    database) and the shared revocations."""
    require_shared_secret(settings, os.environ.get("CHAINLIT_AUTH_SECRET"))
    ensure_auth_secret(settings.coach_data_dir)
    users = accounts or Accounts(settings)

    def credential(name: str) -> str | None:
        found = users.credential(name)
        if found is None and oauth is not None:
            return oauth.credential(name)
        return found

    return TokenPolicy(
        credential=credential,
        secret=lambda: os.environ.get("CHAINLIT_AUTH_SECRET"),
        revocations=make_revocations(settings),
    )


def make_data_layer(settings: Settings) -> Any:
    """SQLAlchemy data layer: the interviews' database when they are in one (its tables made by the
    migrations), else SQLite in the data folder."""
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

    shared = history_url(settings)
    if shared is not None:
        return SQLAlchemyDataLayer(conninfo=shared)
    path = (settings.coach_data_dir / "history.db").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA.read_text(encoding="utf-8"))
    finally:
        con.close()
    return SQLAlchemyDataLayer(conninfo=f"sqlite+aiosqlite:///{path}")
