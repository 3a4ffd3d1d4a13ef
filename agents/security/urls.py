"""URLs shown, logged or saved without credentials: a key can hide in a user-info part
(`http://user:sk-…@host/v1`) or a query string (`?api-key=…`)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redact_url(url: str | None) -> str | None:
    """`url` with any user name, password, query string and fragment replaced by `***`."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparseable URL>"
    if not parts.scheme or not host:
        # Not a URL we can take apart safely: show only what cannot carry a secret.
        return "<URL hidden>" if ("@" in url or "?" in url or "#" in url) else url
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = f"***@{netloc}"
    query = "***" if parts.query else ""
    fragment = "***" if parts.fragment else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))
