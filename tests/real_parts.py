"""Real parts (a browser, a server, model weights) in tests: skipped where missing, failed under CI."""

from __future__ import annotations

import os

import pytest


def require_real_part(available: bool, what: str, how: str) -> None:
    """Skip a test whose real part (a browser, a server, a model) is missing on a developer's
    machine; under CI=true the same absence fails the run, since CI installs every real part."""
    if available:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} is missing under CI=true ({how}); .ci/run must install it", pytrace=False)
    pytest.skip(f"{what} is not installed ({how})")
