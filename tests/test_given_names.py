"""The wider list of first names: what its derivation keeps, and that the shipped list is the
derivation's kind of list (every name unknown to the dictionary, the medicines and the packaged
lists), so the list cannot quietly become a second dictionary of ordinary words."""

from __future__ import annotations

from pathlib import Path

from agents.privacy.given_names import MIN_RECORDS, MIN_SOURCES, derive
from agents.privacy.names import GIVEN_NAMES_FILE, core_gazetteer, given_names, is_english_word, medicine_variants


def test_derivation_keeps_common_unexplained_names_only() -> None:
    enough: list[object] = [MIN_SOURCES, MIN_RECORDS]
    data: dict[str, list[object]] = {
        "kwabena": enough,  # kept: common, no dictionary word
        "ifeoluwa": [MIN_SOURCES - 1, 900],  # too few sources
        "zzqx": [40, MIN_RECORDS - 1],  # too few records
        "wardrobe": [30, 5000],  # an English word
        "metformin": [30, 5000],  # a medicine
        "michael": [30, 5000],  # already in the packaged lists
        "a.j.": [30, 5000],  # not letters
        "ngozi": [18, 701, 0.938, [2, 3]],  # rows carry more fields in the data
    }
    assert derive(data) == ["kwabena", "ngozi"]


def test_the_shipped_list_holds_only_names_no_dictionary_explains() -> None:
    names = given_names()
    first, last = core_gazetteer()
    assert len(names) > 10_000
    assert GIVEN_NAMES_FILE.read_text(encoding="utf-8").count("\nversion: given-names-") == 1
    assert not names & first and not names & last and not names & medicine_variants()
    assert not [n for n in sorted(names)[::50] if is_english_word(n)]  # a sample: the check is slow


def test_the_list_reader_skips_comments_and_version(tmp_path: Path) -> None:
    path = tmp_path / "names.txt"
    path.write_text("# a comment\nversion: given-names-v9\nKwabena\n\nngozi\n", encoding="utf-8")
    assert given_names(path) == {"kwabena", "ngozi"}


def test_words_taken_for_names_in_context_are_listed_names_and_never_kept_words() -> None:
    # A person word that is also a modal, a month, a score or a medicine would be scrubbed from
    # clinical text wherever the context rules fire ("my son will has…" is rare; "GRACE said" is not).
    # A score's name may be one ("grace": the GRACE score is written before "score", where no context
    # that takes a person word stands).
    import yaml

    from agents.privacy.scrubber import _NOT_NAMES, ALLOW_FILE, _word_names

    lists = yaml.safe_load(ALLOW_FILE.read_text(encoding="utf-8"))["words"]
    kept = {str(w).lower() for key, ws in lists.items() if key != "scores_and_scales" for w in ws}
    words = _word_names()
    assert len(words) >= 50
    assert words <= core_gazetteer()[0], sorted(words - core_gazetteer()[0])
    assert not words & (kept | medicine_variants() | set(_NOT_NAMES.split("|"))), sorted(words & kept)
