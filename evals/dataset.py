"""Labelled transcript sets: a folder (transcripts + labels JSONL) or one JSONL with the text inside."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.config import PROJECT_ROOT
from agents.domain.library import load_library
from agents.domain.rubric import Band, Rubric
from agents.domain.transcript import Transcript, load_transcript, parse_transcript_text
from agents.errors import TranscriptError

DEFAULT_DATASET = Path(__file__).resolve().parent / "datasets" / "judge_v1"


def default_rubric() -> Rubric:
    """The rubric the labelled sets were written against: the project's own."""
    return load_library(PROJECT_ROOT / "prompts").rubric


@dataclass
class LabelledSample:
    """One transcript with per-criterion labels (and, when present, a second labelling)."""

    id: str
    transcript: Transcript
    labels: dict[str, bool]
    second: dict[str, bool] | None
    archetype: str
    rubric: Rubric = field(default_factory=default_rubric)

    @property
    def scores(self) -> dict[str, int]:
        """Dimension scores implied by the labels."""
        return self.rubric.scores(self.labels)

    @property
    def band(self) -> Band:
        """Band implied by the labels."""
        return self.rubric.band(self.scores)


def _labels(raw: object, where: str, rubric: Rubric) -> dict[str, bool]:
    if not isinstance(raw, dict):
        raise TranscriptError(where, "'labels' must be an object of criterion id -> 0/1")
    ids = rubric.criterion_ids
    missing = [c for c in ids if c not in raw]
    if missing:
        raise TranscriptError(where, f"labels lack criteria {missing}")
    bad = [c for c in ids if raw[c] not in (0, 1, True, False)]
    if bad:
        raise TranscriptError(where, f"labels for {bad} must be 0 or 1")
    return {c: bool(raw[c]) for c in ids}


def read_jsonl(path: Path, required: str = "id") -> list[dict[str, Any]]:
    """One JSON object per non-empty line, each with the key `required`; a bad line is named
    (TranscriptError with the file and line)."""
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TranscriptError(str(path), f"not valid JSON ({exc.msg})", lineno) from exc
        if not isinstance(row, dict) or required not in row:
            raise TranscriptError(str(path), f"each line must be an object with an '{required}'", lineno)
        rows.append(row)
    return rows


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def labels_rubric(folder: Path) -> str | None:
    """The rubric version a set's labels were written under (its `RUBRIC` file), if it names one."""
    path = folder / "RUBRIC"
    return path.read_text(encoding="utf-8").strip() or None if path.exists() else None


def _check_rubric(folder: Path, rubric: Rubric) -> None:
    # Labels written under one rubric never measure a judge of another: the criteria mean other things.
    written = labels_rubric(folder)
    if written is not None and _major(written) != _major(rubric.version):
        raise TranscriptError(
            str(folder / "RUBRIC"),
            f"these labels were written under {written}; the rubric loaded is {rubric.version}, so they cannot "
            "be compared (re-label the set under the new rubric first)",
        )


def load_dataset(path: Path = DEFAULT_DATASET, rubric: Rubric | None = None) -> list[LabelledSample]:
    """Load a labelled set, its labels checked against `rubric` (the project's by default).

    A folder holds `labels.jsonl` (and optionally `labels_second.jsonl`), whose rows name their
    transcript with `file` relative to the folder. A `.jsonl` file holds rows that either embed the
    transcript text under `transcript` or name a `file` relative to the JSONL's folder.
    """
    if path.is_dir():
        labels_path = path / "labels.jsonl"
        second_path = path / "labels_second.jsonl"
        base = path
    else:
        labels_path = path
        second_path = path.with_name(path.stem + "_second.jsonl")
        base = path.parent
    rubric = rubric or default_rubric()
    _check_rubric(base, rubric)
    if not labels_path.exists():
        raise TranscriptError(str(labels_path), "labels file not found")
    rows = read_jsonl(labels_path)
    second_rows = {str(r["id"]): r for r in read_jsonl(second_path)} if second_path.exists() else {}
    samples = []
    for row in rows:
        sid = str(row["id"])
        where = f"{labels_path} (id {sid})"
        if isinstance(row.get("transcript"), str):
            transcript = parse_transcript_text(str(row["transcript"]), sid)
        elif isinstance(row.get("file"), str):
            transcript = load_transcript(base / str(row["file"]))
        else:
            raise TranscriptError(where, "row needs 'transcript' text or a 'file' path")
        second = (
            _labels(second_rows[sid]["labels"], f"{second_path} (id {sid})", rubric) if sid in second_rows else None
        )
        samples.append(
            LabelledSample(
                id=sid,
                transcript=transcript,
                labels=_labels(row.get("labels"), where, rubric),
                second=second,
                archetype=str(row.get("archetype") or row.get("style") or "unknown"),
                rubric=rubric,
            )
        )
    return samples
