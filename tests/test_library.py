"""The prompt library: every data file loads, versions are recorded, and bad data is reported clearly."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from agents.domain.library import PromptLibrary, load_library
from agents.domain.scenarios import PROFESSIONS, TaskKind
from agents.errors import DataError

ROOT = Path(__file__).resolve().parent.parent


def test_bank_covers_professions_settings_and_task_kinds(library: PromptLibrary) -> None:
    bank = library.scenarios
    assert len(bank) >= 30
    kinds = Counter(s.kind for s in bank)
    assert all(kinds[k] >= 6 for k in TaskKind), kinds  # the checked kinds (CHECKED_KINDS) too
    settings = Counter(s.setting.value for s in bank)
    assert settings["uk"] >= 12 and settings["us"] >= 12
    written_for = Counter(s.professions[0] for s in bank)  # the role a scenario is written for is listed first
    for prof in PROFESSIONS:
        listed = sum(prof in s.professions for s in bank)
        assert listed >= 6 or written_for[prof] >= 2, (prof, listed, written_for[prof])
    # The clinical researcher and each allied-health profession: eight scenarios written for them.
    for prof in ("clinical_researcher", "midwife", "paramedic", "mental_health_nurse", "dietitian",
                 "occupational_therapist", "dentist"):  # fmt: skip
        assert written_for[prof] >= 8, (prof, written_for[prof])


def test_uk_and_us_conventions_are_kept_apart(library: PromptLibrary) -> None:
    us_only = ("911", "emergency room", "acetaminophen", "tylenol", "poison control")
    uk_only = ("999", "nhs 111", "a&e", "paracetamol", "nice ")
    for s in library.scenarios:
        text = " ".join([s.question, s.material, s.escalation]).lower()
        other = us_only if s.setting.value == "uk" else uk_only
        assert not [w for w in other if w in text], s.id


def test_every_question_and_probe_asks_one_thing(library: PromptLibrary) -> None:
    for s in library.scenarios:
        assert s.question.count("?") <= 1, s.id
        for crit, hint in s.probe_hints.items():
            assert hint.count("?") <= 1, (s.id, crit)


def test_versions_are_recorded(library: PromptLibrary) -> None:
    versions = library.versions()
    assert versions["rubric"] == yaml.safe_load((ROOT / "prompts/rubric/rubric.yaml").read_text())["version"]
    assert versions["scenarios"].startswith("scenarios-")
    assert "template:judge_system" in versions
    assert versions["privacy"] == "privacy-allow-v6+given-names-v1"  # both lists the scrubber reads


def test_a_names_list_without_one_version_line_is_named(tmp_path: Path) -> None:
    copy = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", copy)
    names = copy / "privacy" / "given_names.txt"
    names.write_text("# no version here\nkwabena\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"given_names\.txt: expected one 'version"):
        load_library(copy)


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    copy = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", copy)
    broken = copy / "scenarios" / "uk-chest-pain-reassurance.yaml"
    broken.write_text("id: x\nkind: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_library(copy)
    assert "uk-chest-pain-reassurance.yaml" in str(err.value) and "line" in str(err.value)


def test_invalid_scenario_names_the_field(tmp_path: Path) -> None:
    copy = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", copy)
    path = copy / "scenarios" / "uk-chest-pain-reassurance.yaml"
    path.write_text(path.read_text().replace("kind: review", "kind: gossip"), encoding="utf-8")
    with pytest.raises(DataError, match=r"uk-chest-pain-reassurance\.yaml: kind"):
        load_library(copy)


def test_interviewer_lines_ask_one_question_each(library: PromptLibrary) -> None:
    script = library.interviewer
    for line in [*script.consistency_questions, *script.stay_in_role, *script.probe_prefixes, script.empty_answer]:
        assert line.count("?") <= 1, line
    for crit in library.rubric.criterion_ids:
        assert library.rubric.criterion(crit).probe.count("?") <= 1, crit


@pytest.mark.parametrize(
    ("cue", "text", "said"),
    [
        ("keep taking", "you should keep taking it", True),
        ("keep taking", "the ai should not keep taking it for granted", False),
        ("keep taking", "she must never keep taking it", False),
        ("fever", "she is feverish", False),  # phrase-level: not inside another word
        ("999", "call 999 now", True),
        ("999", "call 9999", False),
        ("a&e", "go to a&e now", True),
        ("glass test", "without a glass test you cannot tell", False),
    ],
)
def test_a_cue_counts_only_as_a_phrase_said_as_meant(cue: str, text: str, said: bool) -> None:
    from agents.domain.scenarios import cue_said

    assert cue_said(cue, text) is said


# Bank scenarios whose clinical facts still wait for a quoted source on an allowed page (the stored
# search corpora returned none). A scenario added without sources fails the test below.
AWAITING_SOURCES: set[str] = set()


def test_every_bank_scenario_quotes_an_authoritative_source(library: PromptLibrary) -> None:
    unsourced = {s.id for s in library.scenarios if not s.sources}
    assert unsourced <= AWAITING_SOURCES, f"scenarios without sources: {sorted(unsourced - AWAITING_SOURCES)}"
    assert len(unsourced) <= len(AWAITING_SOURCES)
    for s in library.scenarios:
        for src in s.sources:
            assert 20 <= len(src.quote) <= 400, (s.id, src.url)
        uk = s.setting.value == "uk"
        for src in s.sources:  # a UK scenario rests on UK pages, a US one on US pages
            host = src.url.split("/")[2]
            assert host.endswith((".uk", "nhs.uk")) is uk, (s.id, src.url)


def test_a_source_off_the_allowed_list_is_refused(tmp_path: Path) -> None:
    from agents.domain.scenarios import Scenario

    base = yaml.safe_load((ROOT / "prompts/scenarios/uk-toddler-fever-non-blanching-rash.yaml").read_text())
    base["sources"] = [{"url": "https://www.example-health-blog.com/fever", "quote": "x" * 40, "checked": "2026-12-01"}]
    with pytest.raises(ValueError, match="a source must be a web page on one of"):
        Scenario.model_validate(base)


def test_key_risk_cues_never_copy_the_users_words_or_the_ai_answer(library: PromptLibrary) -> None:
    from agents.domain.scenarios import cue_said

    copied = []
    for s in library.scenarios:
        shown = s.material.lower()
        cues = [c for risk in s.key_risks for c in risk.cues]
        if s.check is not None:
            cues += [*s.check.reason_cues, *s.check.turn_cues, *s.check.overreach_cues]
        copied += [(s.id, cue) for cue in cues if len(cue) > 3 and cue_said(cue, shown)]
    assert not copied, copied
