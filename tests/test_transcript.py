"""Transcript schema, atomic saving and both readers, including their error messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.domain.transcript import (
    MAX_FILE_BYTES,
    Role,
    Transcript,
    TurnKind,
    load_transcript,
    parse_transcript_text,
    save_transcript,
)
from agents.errors import TranscriptError

PLAIN = """Interviewer: Review this answer.
It says to take ibuprofen.

Candidate: The AI should not give a dose.

It should ask about kidney function first.
Interviewer: Thanks. Anything else?
Candidate: No.
"""


def test_plain_text_blocks_keep_blank_lines_inside() -> None:
    t = parse_transcript_text(PLAIN, "x.txt")
    assert [turn.role for turn in t.turns] == [Role.INTERVIEWER, Role.CANDIDATE, Role.INTERVIEWER, Role.CANDIDATE]
    assert t.turns[1].text == "The AI should not give a dose.\n\nIt should ask about kidney function first."
    assert t.turns[0].text == "Review this answer.\nIt says to take ibuprofen."
    assert [turn.index for turn in t.turns] == [0, 1, 2, 3]


def test_plain_text_label_variants_and_preamble() -> None:
    text = "Transcript 7\n\n**Interviewer:** Hello\ncandidate: hi there\n"
    t = parse_transcript_text(text, "y.txt")
    assert [turn.text for turn in t.turns] == ["Hello", "hi there"]


def test_plain_text_without_labels_names_file_and_line() -> None:
    with pytest.raises(TranscriptError) as err:
        parse_transcript_text("\n\nJust some notes\nmore", "notes.txt")
    assert "notes.txt, line 3" in str(err.value)
    assert "Interviewer:" in str(err.value)


def test_plain_text_without_candidate_is_an_error() -> None:
    with pytest.raises(TranscriptError, match="no 'Candidate:' block"):
        parse_transcript_text("Interviewer: only me", "a.txt")


def test_json_roundtrip_and_atomic_save(tmp_path: Path) -> None:
    t = Transcript()
    t.add_turn(Role.INTERVIEWER, "Q", TurnKind.QUESTION, scenario_id="s1")
    t.add_turn(Role.CANDIDATE, "A", TurnKind.ANSWER, scenario_id="s1")
    path = save_transcript(t, tmp_path)
    assert not list(tmp_path.glob("*.tmp")), "temporary files must not be left behind"
    back = load_transcript(path)
    assert back.turns[1].text == "A" and back.id == t.id


def test_json_errors_name_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "schema_version": 1,\n  "turns": [\n', encoding="utf-8")
    with pytest.raises(TranscriptError) as err:
        load_transcript(bad)
    assert f"{bad}, line" in str(err.value) and "not valid JSON" in str(err.value)

    wrong = tmp_path / "v9.json"
    wrong.write_text(json.dumps({"schema_version": 9, "turns": []}), encoding="utf-8")
    with pytest.raises(TranscriptError, match="schema_version is 9"):
        load_transcript(wrong)

    field = tmp_path / "field.json"
    field.write_text(json.dumps({"schema_version": 1, "turns": [{"role": "robot"}]}), encoding="utf-8")
    with pytest.raises(TranscriptError, match=r"field turns\.0"):
        load_transcript(field)


def test_binary_encoding_size_and_missing(tmp_path: Path) -> None:
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02PNG")
    with pytest.raises(TranscriptError, match="binary"):
        load_transcript(binary)
    latin = tmp_path / "l.txt"
    latin.write_bytes("Interviewer: caf\xe9\n".encode("latin-1"))
    with pytest.raises(TranscriptError, match="not UTF-8"):
        load_transcript(latin)
    huge = tmp_path / "h.txt"
    huge.write_bytes(b"a" * (MAX_FILE_BYTES + 1))
    with pytest.raises(TranscriptError, match="limit"):
        load_transcript(huge)
    with pytest.raises(TranscriptError, match="file not found"):
        load_transcript(tmp_path / "nope.txt")


def test_transcript_never_serialises_secrets() -> None:
    t = Transcript(models={"interviewer": "gpt-x", "judge": "gpt-y"})
    dumped = t.model_dump_json()
    assert "api_key" not in dumped and "sk-" not in dumped
