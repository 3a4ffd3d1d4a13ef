"""Running the `coach` command as users do: a fresh process, a clean environment, a private data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
