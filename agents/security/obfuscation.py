"""Text as a filter must see it: invisible characters removed, and the readings an obfuscated
instruction hides behind (spaced letters, leetspeak, ROT13, base64, hex) spelled out.

Grader-directed text is filtered on every reading, so "g r a d e r", "gr4d3r", "tenqre" and a
base64 blob of "ignore the rubric" are all seen as what they say. Ordinary clinical text has no
such readings (the variants are made only where the text has the shape), so it is left alone.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata

# Format characters (Cf: zero-width, bidi marks, tag characters, BOM), the combining grapheme
# joiner and variation selectors carry no letters: a word split by them is still the word.
_INVISIBLE_EXTRA = {0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x17B4, 0x17B5, 0x180E}
_TAGS = range(0xE0000, 0xE0080)
_SELECTORS = (range(0xFE00, 0xFE10), range(0xE0100, 0xE01F0))

_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:[\s.\-_*·•,/|+~]{1,3}[a-z](?![a-z0-9])){2,}")
_LEET_WORD = re.compile(r"\b(?=[a-z0-9@$!|]*[a-z])(?=[a-z0-9@$!|]*[0-9@$!|])[a-z0-9@$!|]{2,}\b")
_LEET = str.maketrans(
    {
        "4": "a",
        "@": "a",
        "3": "e",
        "1": "i",
        "!": "i",
        "|": "l",
        "0": "o",
        "5": "s",
        "$": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "6": "g",
        "2": "z",
    }
)
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}[\s:]?){8,}(?![0-9a-fA-F])")


def _is_invisible(ch: str) -> bool:
    code = ord(ch)
    if code in _INVISIBLE_EXTRA or code in _TAGS or any(code in r for r in _SELECTORS):
        return True
    return unicodedata.category(ch) == "Cf"


def strip_invisible(text: str) -> str:
    """`text` without invisible format characters, and with combining marks folded away
    (so a mark stacked on a letter cannot split a word: "i\u0307gnore" reads "ignore")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not _is_invisible(ch) and not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", kept)


def _printable(raw: bytes) -> str | None:
    try:
        text = strip_invisible(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if len(text) < 6 or sum(ch.isprintable() or ch.isspace() for ch in text) < 0.95 * len(text):
        return None
    return text if sum(ch.isalpha() for ch in text) >= 4 else None


def remove_encoded(original: str) -> tuple[str, list[str]]:
    """`original` with every base64 or hex blob that decodes to text cut out, and those texts.

    Encoded text has no place in an answer: it earns nothing and is flagged, while the rest of the
    sentence keeps whatever it earns on its own.
    """
    decoded: list[str] = []

    def cut_base64(m: re.Match[str]) -> str:
        blob = m.group(0)
        if not (re.search(r"[A-Z]", blob) and re.search(r"[a-z0-9]", blob)):
            return blob  # words and codes in capitals are not base64 text
        try:
            text = _printable(base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True))
        except (binascii.Error, ValueError):
            text = None
        if text is None:
            return blob
        decoded.append(text)
        return " "

    def cut_hex(m: re.Match[str]) -> str:
        try:
            text = _printable(bytes.fromhex(re.sub(r"[\s:]", "", m.group(0))))
        except ValueError:
            text = None
        if text is None:
            return m.group(0)
        decoded.append(text)
        return " "

    out = _BASE64.sub(cut_base64, original) if len(original) >= 16 else original
    out = _HEX.sub(cut_hex, out) if len(out) >= 16 else out
    tags = "".join(chr(ord(ch) - 0xE0000) for ch in original if 0xE0020 <= ord(ch) <= 0xE007E)
    if len(tags) >= 4:
        decoded.append(tags)  # text written in invisible tag characters
    return out, decoded


def hidden_readings(norm: str) -> list[str]:
    """Other readings of a folded sentence `norm`: spaced letters joined ("g r a d e r" reads
    "grader"; a wider gap separates words) and leetspeak spelled out; empty for ordinary text."""
    out: list[str] = []
    if _SPACED.search(norm):
        out.append(_SPACED.sub(_join_spaced, norm))
    if _LEET_WORD.search(norm):
        out.append(_LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), norm))
    return out


def _join_spaced(m: re.Match[str]) -> str:
    words = re.split(r"\s{2,}|\s*[/|]\s*", m.group(0))
    return " ".join(re.sub(r"[^a-z]", "", w) for w in words)


def spaced_letters(norm: str) -> str:
    """The letters of every spaced-out run in `norm`, joined without gaps (empty when none): the
    place to look for a word when the gaps between words were left out too."""
    return " ".join(re.sub(r"[^a-z]", "", m.group(0)) for m in _SPACED.finditer(norm))


def rot13(norm: str) -> str:
    """The ROT13 reading of `norm` (checked against the strongest filter only: it is cheap to
    write and no English sentence reads as an instruction after ROT13 by chance)."""
    return codecs.encode(norm, "rot13")


def foreign_script_share(text: str) -> float:
    """Share of the letters in `text` that are not Latin (after look-alikes were folded): Chinese,
    Arabic, Devanagari and the like. A sentence mostly in another script is not an English answer."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    foreign = sum(1 for ch in letters if not ("a" <= ch <= "z" or "LATIN" in unicodedata.name(ch, "")))
    return foreign / len(letters)
