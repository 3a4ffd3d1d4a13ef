"""People's names as lists: first names of many countries (the `gender-guesser` package's
dictionary, about 45,000, and `prompts/privacy/given_names.txt`, names those lists lack from a
wider survey) and US census surnames (the `names` package, about 89,000); and what is
not a name however capitalised: medicines, generic and brand (the `drug-named-entity-recognition`
package's dictionary, from DrugBank, MeSH and MedlinePlus).

Used where a statistical name finder is weak: names typed in lower case ("from kwame asante")
and capitalised pairs it does not know ("Becky-Lynn Harlow"). A word counts only as part of a
whole name: a first name followed by a surname or another first name.
"""

from __future__ import annotations

import importlib.resources
import unicodedata
from functools import lru_cache
from pathlib import Path

from agents.config import PROJECT_ROOT

GIVEN_NAMES_FILE = PROJECT_ROOT / "prompts" / "privacy" / "given_names.txt"


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip("'’.")


@lru_cache(maxsize=1)
def core_gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) from the packaged lists only, lower case without accents. Names in
    lower case are judged against these alone: a survey's rarer names include words a 1913
    dictionary does not know ("viral"), and in lower case nothing else tells them apart."""
    raw = (importlib.resources.files("gender_guesser") / "data" / "nam_dict.txt").read_text(encoding="utf-8")
    first: set[str] = set()
    for line in raw.splitlines():
        if line[:1] in "MF?1" and not line.startswith("#"):
            name = line[3:29].strip().lower()
            for part in name.replace("+", " ").replace("-", " ").split():
                first.add(_plain(part))
    names_pkg = importlib.resources.files("names")
    for fname in ("dist.male.first", "dist.female.first"):
        first |= {_plain(line.split()[0]) for line in (names_pkg / fname).read_text().splitlines() if line.strip()}
    last = {_plain(line.split()[0]) for line in (names_pkg / "dist.all.last").read_text().splitlines() if line.strip()}
    return frozenset(first), frozenset(last)


def given_names(path: Path = GIVEN_NAMES_FILE) -> frozenset[str]:
    """The extra first names, lower case; '#' lines and the version line are not names."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(_plain(line) for line in lines if line.strip() and not line.startswith(("#", "version:")))


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames), lower case without accents: the packaged lists and the extra
    first names, which never include a medicine's name."""
    first, last = core_gazetteer()
    return first | (given_names() - medicine_variants()), last


def _parts(word: str) -> list[str]:
    return [_plain(p) for p in word.replace("’", "'").split("-") if p]


def is_full_name(words: list[str], blocked: frozenset[str]) -> bool:
    """Whether `words` (two or three) read as one person's whole name: a first name, then a
    surname or first name; no word a common or clinical word in `blocked`."""
    if not 2 <= len(words) <= 4:
        return False
    first, last = gazetteer()
    plain = [_parts(w) for w in words]
    if any(not p or any(x in blocked or len(x) < 2 for x in p) for p in plain):
        return False
    known = first | last
    if not all(x in known for x in plain[0]):
        return False
    if not all(x in first for x in plain[0]) and not all(x in first for x in plain[0][:1]):
        return False
    return all(x in known for x in plain[-1])


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case English dictionary words (GCIDE, from the `english-words` package): a capitalised
    word outside it, and outside every list of clinical words, is likely a name."""
    from english_words import get_english_words_set

    return frozenset(get_english_words_set(["gcide"], lower=True, alpha=True))


@lru_cache(maxsize=1)
def medicine_variants() -> frozenset[str]:
    """Every one-word medicine name in the dictionary, lower case, names or not."""
    import bz2
    import pickle

    data = importlib.resources.files("drug_named_entity_recognition") / "drug_ner_dictionary.pkl.bz2"
    with data.open("rb") as raw, bz2.open(raw) as f:
        # The package's own dictionary, loaded as the package itself loads it.
        variants = pickle.load(f)["drug_variant_to_canonical"]
    return frozenset(_plain(v) for v in variants if " " not in v and len(v) >= 3)


@lru_cache(maxsize=1)
def medicine_words() -> frozenset[str]:
    """One-word medicine names in lower case ("clexane", "pepto-bismol"), except the few that are
    also names in the packaged lists ("allegra", "saha"): those are judged by their context."""
    first, last = core_gazetteer()
    return medicine_variants() - first - last


_SUFFIXES = ("'s", "s", "es", "ed", "d", "ing", "ly", "er", "ers", "est", "ies", "ied", "ment", "ments", "ness")


def is_english_word(word: str) -> bool:
    """Whether a lower-case word is English: in the dictionary, or an inflection of a word in it
    ("reduced", "movements", "worries"; the dictionary lists head words only)."""
    words = english_words()
    if word in words:
        return True
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if stem in words or (suffix in ("ies", "ied") and stem + "y" in words) or stem + "e" in words:
                return True
            if len(stem) >= 4 and stem[-1] == stem[-2] and stem[:-1] in words:
                return True  # "stopped", "running"
    return False
