"""Running the `coach` command as users do: a fresh process, a clean environment, a private data folder."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_coach(args: list[str], tmp_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """`coach ARGS` in `tmp_path`, with no OPENAI_/COACH_ settings but the data folder and `env`."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_"))}
    full_env.update({"COACH_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT), **env})
    return subprocess.run(
        [sys.executable, "-m", "agents.adapters.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=full_env,
        timeout=180,
    )


def saved_interviews(data_dir: Path) -> list[dict[str, Any]]:
    """The interviews a data folder holds, as saved JSON: in its SQLite database (the default
    store) and as files (`COACH_STORE=files`)."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((data_dir / "transcripts").glob("*.json"))]
    database = data_dir / "interviews.db"
    if database.exists():
        con = sqlite3.connect(database)
        try:
            has_table = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'coach_interviews'").fetchone()
            rows = con.execute("SELECT body FROM coach_interviews").fetchall() if has_table else []
        finally:
            con.close()
        found += [json.loads(row[0]) for row in rows]
    return found
