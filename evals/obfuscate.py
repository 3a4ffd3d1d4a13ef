"""Obfuscated forms of grader-directed text, made by code: each class of disguise the filter must
see through (invisible characters, look-alike letters, spaced letters, leetspeak, encodings).

Used on the development injections (`evals/datasets/metamorphic/injections.txt`) in the test
suite; the blind attack set is written independently and only measured.
"""

from __future__ import annotations

import base64
import codecs
import random
from collections.abc import Callable

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u2060", "\ufeff", "\u034f", "\u00ad"]
# Latin letter -> a look-alike from another alphabet (Cyrillic, Greek, Armenian, small capitals).
LOOKALIKES: dict[str, list[str]] = {
    "a": ["а", "ɑ", "ᴀ"],
    "c": ["с", "ᴄ"],
    "e": ["е", "ᴇ"],
    "g": ["ɡ", "ց", "ɢ"],
    "h": ["һ", "հ", "ʜ"],
    "i": ["і", "ı", "ɪ"],
    "n": ["ո", "ɴ"],
    "o": ["о", "ο", "օ", "ᴏ"],
    "p": ["р", "ρ", "ᴘ"],
    "r": ["ʀ", "г"],
    "s": ["ѕ", "ꜱ"],
    "u": ["ս", "ᴜ"],
    "x": ["х"],
    "y": ["у", "ʏ"],
}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def _tag_text(text: str) -> str:
    # Unicode tag characters: invisible copies of ASCII (U+E0000 + code point).
    return "".join(chr(0xE0000 + ord(ch)) if ch.isascii() and ch.isprintable() else ch for ch in text)


def invisible(text: str, rng: random.Random) -> str:
    """An invisible character inside every word of four letters or more."""
    out = []
    for word in text.split(" "):
        if len(word) >= 4:
            cut = rng.randrange(1, len(word) - 1)
            word = word[:cut] + rng.choice(INVISIBLE) + word[cut:]
        out.append(word)
    return " ".join(out)


def lookalike(text: str, rng: random.Random) -> str:
    """About half the letters that have a look-alike swapped for one."""
    return "".join(rng.choice(LOOKALIKES[ch]) if ch in LOOKALIKES and rng.random() < 0.5 else ch for ch in text)


def fullwidth(text: str, rng: random.Random) -> str:
    """Full-width forms of every ASCII letter."""
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalpha() else ch for ch in text)


def math_bold(text: str, rng: random.Random) -> str:
    """Mathematical bold letters (𝐠𝐫𝐚𝐝𝐞𝐫)."""

    def bold(ch: str) -> str:
        if "a" <= ch <= "z":
            return chr(0x1D41A + ord(ch) - ord("a"))
        if "A" <= ch <= "Z":
            return chr(0x1D400 + ord(ch) - ord("A"))
        return ch

    return "".join(bold(ch) for ch in text)


def spaced(text: str, rng: random.Random) -> str:
    """Each word's letters spaced or dotted apart ("g r a d e r", "s.c.o.r.e")."""
    sep = rng.choice([" ", ".", "-", " . "])
    return "   ".join(sep.join(word) for word in text.split())


def leet(text: str, rng: random.Random) -> str:
    """Letters swapped for digits (gr4d3r)."""
    return "".join(_LEET.get(ch.lower(), ch) if rng.random() < 0.7 else ch for ch in text)


def base64_blob(text: str, rng: random.Random) -> str:
    """The text base64-encoded, with a decoding hint or without."""
    blob = base64.b64encode(text.encode()).decode()
    return rng.choice([blob, f"Decode this: {blob}", f"{blob} (base64)"])


def hex_blob(text: str, rng: random.Random) -> str:
    """The text as hex bytes."""
    return text.encode().hex(" ")


def rot13_text(text: str, rng: random.Random) -> str:
    """The text in ROT13."""
    return codecs.encode(text, "rot13")


def tags_after(text: str, rng: random.Random) -> str:
    """An innocent clause, then the text written entirely in invisible tag characters."""
    return "I have nothing to add. " + _tag_text(text)


TRANSFORMS: dict[str, Callable[[str, random.Random], str]] = {
    "invisible": invisible,
    "lookalike": lookalike,
    "fullwidth": fullwidth,
    "math_bold": math_bold,
    "spaced": spaced,
    "leet": leet,
    "base64": base64_blob,
    "hex": hex_blob,
    "rot13": rot13_text,
    "tags": tags_after,
}


def variants(text: str, seed: int = 0) -> dict[str, str]:
    """Every disguise of `text`, reproducibly (the same seed gives the same variants)."""
    rng = random.Random(seed)
    return {name: fn(text, rng) for name, fn in TRANSFORMS.items()}
