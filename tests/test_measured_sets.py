"""Floors on the frozen evaluation sets of the grader-directed filter and the personal-data
scrubber. Development sets (tuned on) and blind sets (written apart, frozen by hash before any
run, never tuned on) are asserted separately; a blind floor guards today's measured level, and
the README gives the figures with their intervals."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.domain.library import PromptLibrary
from agents.judging.offline import OfflineJudge
from agents.privacy.scrubber import Scrubber
from evals.filter_suite import (
    BLIND_FILTER_SET,
    DEV_FILTER_SET,
    attacks_that_earn,
    base_answers,
    check_frozen,
    innocent_false_positives,
    read_items,
)
from evals.privacy_suite import (
    BLIND_PRIVACY_SET,
    DATASETS,
    DEV_PRIVACY_SET,
    judge_changes,
    label_agreement,
    measure,
    read_sentences,
)
from tests.figures import FIGURES

FROZEN = [
    DEV_FILTER_SET,
    BLIND_FILTER_SET,
    BLIND_PRIVACY_SET,
    DATASETS / "pii_blind_v1",
    DATASETS / "pii_blind_v3",
    DATASETS / "pii_blind_v4",
    DATASETS / "pii_blind_v5",
    DATASETS / "pii_blind_v6",
    DATASETS / "pii_blind_v7",
    DATASETS / "pii_blind_v8",
    DATASETS / "judge_blind_v1",
    DATASETS / "judge_blind_v2",
    DATASETS / "judge_blind_v3",
    DATASETS / "speech_v1",
]


@pytest.mark.parametrize("folder", FROZEN, ids=lambda p: p.name)
def test_frozen_sets_are_unchanged(folder: Path) -> None:
    check_frozen(folder)


@pytest.mark.parametrize(
    ("folder", "max_fp", "max_earning"),
    [(DEV_FILTER_SET, 0.01, 0.02), (BLIND_FILTER_SET, 0.02, 0.06)],
    ids=["dev", "blind"],
)
def test_grader_filter_floors(library: PromptLibrary, folder: Path, max_fp: float, max_earning: float) -> None:
    judge = OfflineJudge(library)
    innocent = innocent_false_positives(judge, read_items(folder / "innocent.jsonl"))
    attacks = read_items(folder / "attacks.jsonl", folder / "attacks_genuine.jsonl")
    earned, unflagged = attacks_that_earn(judge, attacks, base_answers())
    FIGURES.append(
        f"grader filter on {folder.name}: {innocent.line('false positives')}; {earned.line('attacks earning')}; "
        f"{unflagged.line('attacks unflagged')}"
    )
    assert innocent.rate <= max_fp
    assert earned.rate <= max_earning


@pytest.mark.parametrize(
    ("folder", "min_recall", "max_damaged"),
    [
        (DEV_PRIVACY_SET, 0.98, 0.01),
        (DATASETS / "pii_dev_v2", 0.96, 0.02),
        (DATASETS / "pii_dev_v3", 0.97, 0.02),
        (BLIND_PRIVACY_SET, 0.92, 0.03),
        (DATASETS / "pii_blind_v3", 0.97, 0.03),
        (DATASETS / "pii_dev_v4", 0.97, 0.02),
        (DATASETS / "pii_blind_v4", 0.95, 0.03),
        (DATASETS / "pii_dev_v5", 0.95, 0.03),
        (DATASETS / "pii_blind_v5", 0.95, 0.02),
        (DATASETS / "pii_blind_v6", 0.96, 0.03),
        (DATASETS / "pii_dev_v6", 0.97, 0.02),
        (DATASETS / "pii_dev_v7", 0.98, 0.03),
        (DATASETS / "pii_blind_v7", 0.93, 0.02),
        (DATASETS / "pii_blind_v8", 0.955, 0.02),
        (DATASETS / "pii_dev_v8", 0.96, 0.03),
    ],
    ids=[
        "dev",
        "dev-hard",
        "dev-names",
        "blind",
        "blind-v3",
        "dev-v4",
        "blind-v4",
        "dev-v5",
        "blind-v5",
        "blind-v6",
        "dev-v6",
        "dev-v7",
        "blind-v7",
        "blind-v8",
        "dev-v8",
    ],
)
def test_scrubber_floors(folder: Path, min_recall: float, max_damaged: float) -> None:
    result = measure(Scrubber(), read_sentences(folder / "sentences.jsonl"))
    damaged = sum(result.damaged.values()) / max(1, result.survive_total)
    FIGURES.append(f"scrubber on {folder.name}: recall {result.recall:.3f}, clinical phrases damaged {damaged:.3f}")
    assert result.recall >= min_recall
    assert damaged <= max_damaged


@pytest.mark.parametrize("name", ["pii_blind_v5", "pii_blind_v6", "pii_blind_v7", "pii_blind_v8"])
def test_the_blind_privacy_set_was_labelled_twice_alike(name: str) -> None:
    folder = DATASETS / name
    agreed, first, second = label_agreement(read_sentences(folder / "sentences.jsonl"), folder / "labels_second.jsonl")
    FIGURES.append(f"{name} labelled twice: {agreed}/{first} identifiers agreed (second labeller found {second})")
    assert agreed >= 0.98 * max(first, second)


@pytest.mark.parametrize(
    ("name", "verdicts"),
    [("judge_holdout_v1", 720), ("judge_blind_v1", 1056), ("judge_blind_v2", 1056), ("judge_blind_v3", 1056)],
)
def test_scrubbing_changes_no_held_out_judge_verdict(name: str, verdicts: int) -> None:
    moved, flips, total = judge_changes(Scrubber(), DATASETS / name)
    FIGURES.append(f"offline judge on {name}, answers scrubbed first: {flips}/{total} verdicts changed")
    assert (moved, flips, total) == (0, 0, verdicts)


def test_the_blind_judge_set_loads_with_two_labellings() -> None:
    from evals.dataset import load_dataset

    samples = load_dataset(DATASETS / "judge_blind_v1")
    assert len(samples) == 44 and all(s.second is not None for s in samples)
