"""Rewording by code: the same answer in other ordinary words, for checks that a verdict rests on
what is said rather than on the words chosen (`paraphrases.yaml` holds the rewordings)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from agents.domain.transcript import Role, Transcript
from agents.errors import DataError

PARAPHRASES = Path(__file__).resolve().parent / "datasets" / "metamorphic" / "paraphrases.yaml"
# Typographic apostrophes are read as plain ones, so "doesn’t" is reworded like "doesn't".
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})


@dataclass(frozen=True)
class Paraphraser:
    """Whole-word, case-blind rewordings applied in one pass, the longest match first."""

    version: str
    swaps: dict[str, str]

    @classmethod
    def load(cls, path: Path = PARAPHRASES) -> Paraphraser:
        """Read a rewording table; a malformed one is named with what is wrong."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not isinstance(raw.get("version"), str):
            raise DataError(f"{path}: needs a 'version' string and a 'swaps' mapping")
        swaps = raw.get("swaps")
        if not isinstance(swaps, dict) or not swaps:
            raise DataError(f"{path}: 'swaps' must map phrases to their rewording")
        bad = [k for k, v in swaps.items() if not isinstance(k, str) or not isinstance(v, str) or not v.strip()]
        if bad:
            raise DataError(f"{path}: swaps {bad} need a phrase and a non-empty rewording")
        return cls(raw["version"], {k.lower(): v for k, v in swaps.items()})

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        # Longest first, so "should not" is reworded whole rather than as "should" + "not".
        alternatives = sorted(self.swaps, key=len, reverse=True)
        return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w'])", re.I)

    def rewrite(self, text: str) -> str:
        """The text with every listed phrase reworded and typographic apostrophes straightened;
        nothing else changes."""

        def swap(m: re.Match[str]) -> str:
            said = m.group(0)
            new = self.swaps[said.translate(_APOSTROPHES).lower()]
            if said[0].isupper() and not said.isupper():
                return new[0].upper() + new[1:]
            return new

        return self._pattern.sub(swap, text.translate(_APOSTROPHES))

    def transcript(self, transcript: Transcript) -> Transcript:
        """A copy whose every candidate answer is reworded (the interviewer's words are kept)."""
        copy = transcript.model_copy(deep=True)
        for turn in copy.turns:
            if turn.role is Role.CANDIDATE:
                turn.text = self.rewrite(turn.text)
        return copy
