"""Login through an identity provider, beside passwords or instead of them.

Chainlit offers the providers (GitHub, Google, Azure AD, Okta, Auth0, Descope, Amazon Cognito,
GitLab, Keycloak, and any OpenID Connect one through `OAUTH_GENERIC_*`), each switched on by its own
environment variables; the coach decides who of the people a provider vouches for may come in:

- `COACH_OAUTH_ALLOWED_DOMAINS` (e.g. `nhs.net,trust.nhs.uk`): only e-mail addresses of those
  domains (a provider that names users without an e-mail address is refused then); unset, anyone
  the provider vouches for.
- A user whose e-mail address is the name of an account (`coach users add`) gets that account's
  role and cohort; anyone else is a candidate of no cohort.

A login token names what it was issued for, as password logins do (`TokenPolicy`): the account's
credential when there is one, else a provider login that counts only while the user's domain is
allowed, so narrowing the domains, or a new password for the account, ends the logins it covered.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from agents.config import Settings
from agents.errors import ConfigurationError

logger = logging.getLogger("coach.accounts")


def configured_providers() -> list[str]:
    """The identity providers Chainlit finds configured in the environment (their ids)."""
    from chainlit.oauth_providers import get_configured_oauth_providers

    return list(get_configured_oauth_providers())  # type: ignore[no-untyped-call]


def parse_domains(raw: str | None) -> frozenset[str]:
    """COACH_OAUTH_ALLOWED_DOMAINS as a set of lower-case domains; a malformed entry is named."""
    if not raw or not raw.strip():
        return frozenset()
    domains = set()
    for pos, entry in enumerate((e.strip().lower().lstrip("@") for e in raw.split(",")), start=1):
        if not entry:
            continue
        if "." not in entry or any(c in entry for c in " /:@"):
            raise ConfigurationError(f"COACH_OAUTH_ALLOWED_DOMAINS entry {pos} ({entry[:60]!r}) is not a domain")
        domains.add(entry)
    return frozenset(domains)


class OAuthPolicy:
    """Who of the people an identity provider vouches for may log in, and as whom."""

    def __init__(self, settings: Settings) -> None:
        self.domains = parse_domains(settings.coach_oauth_allowed_domains)

    def identifier(self, provider: str, raw: Mapping[str, Any], default: str | None) -> str | None:
        """The user name to log `default` in as (an e-mail address in lower case), or None when
        this deployment does not admit them; the reason is logged, never the address."""
        name = (default or "").strip()
        if not name:
            logger.warning("login through %s refused: the provider named no user", provider)
            return None
        if "@" in name:
            name = name.lower()
            if raw.get("email_verified") is False:
                logger.warning("login through %s refused: the provider has not verified the e-mail address", provider)
                return None
        if not self.admits(name):
            logger.warning("login through %s refused: the user's domain is not allowed", provider)
            return None
        return name

    def admits(self, name: str) -> bool:
        """Whether a user of this name may be logged in through a provider now."""
        if not self.domains:
            return True
        _, at, domain = name.rpartition("@")
        return bool(at) and domain.lower() in self.domains

    def credential(self, name: str) -> str | None:
        """What a provider login's token is issued for when no account names the user (None:
        no longer admitted, so their tokens no longer count)."""
        return "oauth" if self.admits(name) else None
