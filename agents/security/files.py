"""Private storage: the data folder is 0700 and every file in it 0600.

Transcripts, history and the auth secret are personal data; other local accounts must not read them.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_umask() -> None:
    """Make every file and folder this process creates private to its user from now on.

    Set once at start (app and CLI), so files created by libraries too (SQLite, its journals,
    Chainlit's uploads) are never readable by others.
    """
    os.umask(0o077)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) as 0700, and tighten it if it already exists looser."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(PRIVATE_DIR)
    return path


def make_private(path: Path) -> None:
    """Tighten one existing file to 0600 (a no-op when it is already private)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if mode & 0o077:
        path.chmod(PRIVATE_FILE)


def tighten_tree(root: Path) -> None:
    """Make a data folder made by an older version private: folders 0700, files 0600."""
    if not root.is_dir():
        return
    ensure_private_dir(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            ensure_private_dir(Path(dirpath) / name)
        for name in filenames:
            p = Path(dirpath) / name
            if not p.is_symlink():
                make_private(p)


def atomic_write(target: Path, data: bytes) -> Path:
    """Write `data` to `target` so a crash at any moment leaves the old file or the new one, never
    half of one: a private temp file beside it, fsync, rename, then fsync of the folder."""
    directory = target.parent
    ensure_private_dir(directory)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return target
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
    return target
