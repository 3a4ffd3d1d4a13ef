"""User text quoted back in Markdown (chat messages, the Markdown report) reads as written and
renders as text: no images fetched, no links, no HTML, no headings or emphasis it did not mean."""

from __future__ import annotations

import re

# ASCII punctuation that Markdown (CommonMark + GFM) gives a meaning to anywhere in a line; CommonMark
# lets any ASCII punctuation be backslash-escaped, so the escaped text still shows as typed.
# The colon too: an escaped colon stops a bare "http://…" from being turned into a link.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~&$:])")
_WWW = re.compile(r"(?i)\bwww\.")
# What means something only at the start of a line: list bullets, ordered-list numbers, rules.
_LINE_START = re.compile(r"^(\s*)([-+=]|\d{1,9}(?=[.)]))", re.M)
_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def md_escape(text: str) -> str:
    """`text` escaped so Markdown renders every character literally (links, images and HTML included)."""
    escaped = _WWW.sub(lambda m: m.group(0)[:3] + "\\.", _SPECIAL.sub(r"\\\1", text))
    return _LINE_START.sub(lambda m: m.group(1) + _escape_start(m.group(2)), escaped)


def _escape_start(token: str) -> str:
    # "1." and "1)" start ordered lists: escape the punctuation after the number, not the number.
    return "\\" + token if not token[0].isdigit() else token + "\\"


def md_inline(text: str, limit: int | None = None) -> str:
    """`text` escaped and folded onto one line, for quoting inside a sentence or list item.

    `limit` cuts long values (e.g. a value echoed in an error) before escaping, marked with an ellipsis.
    """
    flat = _BREAKS.sub(" ", text).strip()
    if limit is not None and len(flat) > limit:
        flat = flat[: max(0, limit - 1)].rstrip() + "…"
    return md_escape(flat)


def quote_block(text: str) -> str:
    """`text` as a Markdown block quote, every line escaped (the user's words, shown as typed)."""
    lines = text.splitlines() or [""]
    return "\n".join("> " + md_escape(line) for line in lines)


_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_RAW_HTML = re.compile(r"</?[A-Za-z][^>\n]*>")


def without_images(text: str) -> str:
    """Model-written Markdown with images and raw HTML tags removed (their alt text kept): a model
    that echoes a candidate's `![x](http://…)` must not make the browser fetch it."""
    return _RAW_HTML.sub("", _IMAGE.sub(lambda m: m.group(1), text))
