"""Login through an identity provider (Chainlit's generic OAuth provider, pointed at a provider
running on loopback here): the whole browser round trip against the real app — redirect, code,
token, user info — then who is admitted (allowed domains, verified addresses), as whom (an
account's role and cohort), and that logout and a narrowed domain list end the login."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.adapters.web.oauth import OAuthPolicy, parse_domains
from agents.config import load_settings
from agents.errors import ConfigurationError
from benchmarks.servers import App, http_request
from tests.cli_process import run_coach
from tests.identity_provider import Provider, identity_provider

pytestmark = pytest.mark.slow
SECRET = "oauth-secret-" + "z" * 40


@pytest.fixture
def provider() -> Iterator[Provider]:
    with identity_provider() as running:
        yield running


def _cookies(headers: http.client.HTTPMessage) -> dict[str, str]:
    found = {}
    for line in headers.get_all("set-cookie") or []:
        name, _, value = line.split(";", 1)[0].partition("=")
        found[name.strip()] = value.strip()
    return found


def _login_through(app: App, provider: Provider, user: dict[str, object]) -> tuple[int, dict[str, str]]:
    """A browser's round trip: the app's redirect, the provider's, the app's callback. Returns the
    callback's status and the cookies it set (the login cookie among them when admitted)."""
    provider.next_user = user
    status, _, headers = http_request(app.url, "GET", "/auth/oauth/trust-sso")
    assert status in (302, 307), status
    state_cookies = _cookies(headers)
    to_provider = urllib.parse.urlsplit(str(headers["location"]))
    assert f"{to_provider.scheme}://{to_provider.netloc}" == provider.url
    status, _, headers = http_request(provider.url, "GET", f"{to_provider.path}?{to_provider.query}")
    assert status == 302
    back = urllib.parse.urlsplit(str(headers["location"]))
    cookie = "; ".join(f"{k}={v}" for k, v in state_cookies.items())
    status, _, headers = http_request(app.url, "GET", f"{back.path}?{back.query}", {"Cookie": cookie})
    return status, {k: v for k, v in _cookies(headers).items() if v and "oauth_state" not in k}


def _me(app: App, cookies: dict[str, str]) -> tuple[int, dict[str, object]]:
    status, body, _ = http_request(
        app.url, "GET", "/user", {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    )
    return status, (json.loads(body) if status == 200 else {})


def test_a_provider_login_round_trip_admits_allowed_domains_only(provider: Provider, tmp_path: Path) -> None:
    env = {**provider.env(), "CHAINLIT_AUTH_SECRET": SECRET, "COACH_OAUTH_ALLOWED_DOMAINS": "trust.nhs.uk"}
    app = App(tmp_path / "data", env=env)
    app.start()
    try:
        status, body, _ = http_request(app.url, "GET", "/auth/config")
        config = json.loads(body)
        assert config["requireLogin"] is True and config["oauthProviders"] == ["trust-sso"]
        assert config["passwordAuth"] is False, "a password form with no password users"
        assert http_request(app.url, "GET", "/user")[0] == 401, "login is not on"

        status, cookies = _login_through(app, provider, {"email": "A.Nurse@Trust.NHS.uk", "email_verified": True})
        assert cookies, f"an allowed user was not logged in ({status})"
        code, me = _me(app, cookies)
        assert code == 200 and me["identifier"] == "a.nurse@trust.nhs.uk"
        assert me["metadata"]["role"] == "candidate"  # type: ignore[index]
        assert provider.token_requests[-1]["client_secret"] == provider.client_secret

        for refused in (
            {"email": "someone@gmail.com", "email_verified": True},  # another domain
            {"email": "b.nurse@trust.nhs.uk", "email_verified": False},  # not verified by the provider
            {"email": "x@trust.nhs.uk.evil.example"},  # a look-alike domain
            {"sub": "12345"},  # no address to check the domain of
        ):
            _, refused_cookies = _login_through(app, provider, refused)
            assert not refused_cookies, f"{refused} was logged in"

        # Logout ends the login.
        header = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Content-Length": "0"}
        assert http_request(app.url, "POST", "/logout", header, b"")[0] == 200
        assert _me(app, cookies)[0] == 401, "the login outlived its logout"
    finally:
        app.kill()


def test_an_account_named_by_the_address_gives_its_role_and_a_narrowed_list_ends_logins(
    provider: Provider, tmp_path: Path
) -> None:
    added = run_coach(
        ["users", "add", "tutor@uni.ac.uk", "--role", "educator", "--cohort", "cohort-a"],
        tmp_path,
        stdin="a-long-password-1\n",
    )
    assert added.returncode == 0, added.stderr
    env = {**provider.env(), "CHAINLIT_AUTH_SECRET": SECRET, "COACH_OAUTH_ALLOWED_DOMAINS": "uni.ac.uk,nhs.net"}
    app = App(tmp_path / "data", env=env)
    app.start()
    try:
        _, body, _ = http_request(app.url, "GET", "/auth/config")
        assert json.loads(body)["passwordAuth"] is True, "the account's password login went away"
        _, tutor = _login_through(app, provider, {"email": "tutor@uni.ac.uk"})
        _, nurse = _login_through(app, provider, {"email": "nurse@nhs.net"})
        code, me = _me(app, tutor)
        assert code == 200 and me["metadata"]["role"] == "educator" and me["metadata"]["cohort"] == "cohort-a"  # type: ignore[index]
        assert _me(app, nurse)[0] == 200
    finally:
        app.kill()
    # The operator narrows the domains: logins of the domain dropped end; the account's do not.
    app = App(tmp_path / "data", env={**env, "COACH_OAUTH_ALLOWED_DOMAINS": "uni.ac.uk"}, port=app.port)
    app.start()
    try:
        assert _me(app, nurse)[0] == 401, "a login of a domain no longer allowed still counts"
        assert _me(app, tutor)[0] == 200
    finally:
        app.kill()


def test_allowed_domains_are_checked_at_start() -> None:
    assert parse_domains(" NHS.net, @trust.nhs.uk ,") == frozenset({"nhs.net", "trust.nhs.uk"})
    for bad in ("nhs", "https://nhs.net", "a@b.com", "two words.org"):
        with pytest.raises(ConfigurationError, match="COACH_OAUTH_ALLOWED_DOMAINS entry"):
            parse_domains(bad)


def test_the_policy_names_users_by_their_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_OAUTH_ALLOWED_DOMAINS", "nhs.net")
    policy = OAuthPolicy(load_settings())
    assert policy.identifier("google", {"email_verified": True}, "Jo.Bloggs@NHS.net") == "jo.bloggs@nhs.net"
    assert policy.identifier("google", {}, "jo@nhs.net.example.org") is None
    assert policy.identifier("github", {}, "jobloggs") is None  # no address, and domains are required
    assert policy.credential("jo@nhs.net") is not None and policy.credential("jo@gmail.com") is None
    monkeypatch.delenv("COACH_OAUTH_ALLOWED_DOMAINS")
    assert OAuthPolicy(load_settings()).identifier("github", {}, "jobloggs") == "jobloggs"
