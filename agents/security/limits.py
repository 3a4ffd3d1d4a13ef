"""Untrusted input read within bounds: files by bytes actually read (not by what `stat` claims, so
`/dev/zero` and FIFOs are refused or cut off), JSON by nesting depth before it is parsed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_JSON_DEPTH = 64


class LimitError(ValueError):
    """Input over a bound; the message says which bound and what was found."""


def read_bounded(path: Path, limit: int) -> bytes:
    """Read a regular file of at most `limit` bytes; anything else or anything larger is refused.

    The size is checked on the bytes read, so a file that grows while being read, or lies in
    `stat`, is still cut off at `limit` + 1 bytes.
    """
    # Non-blocking, so opening a FIFO with no writer returns at once and is then refused below.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(str(path))
        if not stat.S_ISREG(info.st_mode):
            raise LimitError("is not a regular file (a device, pipe or socket); save the transcript to a file first")
        if info.st_size > limit:
            raise LimitError(f"file is {info.st_size:,} bytes; the limit is {limit:,}")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise LimitError(f"file is over {limit:,} bytes; the limit is {limit:,}")
        return b"".join(chunks)
    finally:
        os.close(fd)


def json_depth_problem(text: str, limit: int = MAX_JSON_DEPTH) -> tuple[int, int] | None:
    """(line, depth) where JSON nesting first goes deeper than `limit`, or None.

    A linear scan that skips string contents, run before `json.loads` so deep input can never reach
    the parser's recursion.
    """
    depth = 0
    line = 1
    in_string = False
    escaped = False
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line, depth
        elif ch in "]}":
            depth -= 1
    return None
