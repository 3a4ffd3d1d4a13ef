"""`coach eval privacy`: the personal-data scrubber on labelled sentences.

Each sentence lists its identifiers (type and exact text) and the clinical words that must
survive. An identifier is caught when at least 90 % of its letters and digits are inside what was
replaced; a must-survive phrase is damaged when anything in it was replaced that is not part of an
identifier. Rates come with 95 % Wilson intervals.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from agents.privacy.scrubber import Scrubber
from evals.dataset import read_jsonl
from evals.filter_suite import check_frozen
from evals.metrics import wilson_interval

DATASETS = Path(__file__).resolve().parent / "datasets"
DEV_PRIVACY_SET = DATASETS / "pii_dev_v1"
BLIND_PRIVACY_SET = DATASETS / "pii_blind_v2"
DIRECT = ("NAME", "NHS_NUMBER", "HOSPITAL_NUMBER", "SSN", "DATE_OF_BIRTH", "PHONE", "EMAIL", "ADDRESS")


@dataclass
class PrivacyResult:
    """Counts from one run over a labelled set."""

    caught: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    damaged: Counter[str] = field(default_factory=Counter)
    survive_total: int = 0
    clean_touched: int = 0
    clean_total: int = 0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Identifiers caught / identifiers."""
        return sum(self.caught.values()) / max(1, sum(self.total.values()))


def read_sentences(path: Path) -> list[dict[str, object]]:
    """The labelled sentences; a line whose identifier or phrase is not in its text is named."""
    rows = read_jsonl(path, required="text")
    for lineno, row in enumerate(rows, start=1):
        text = row["text"]
        for item in [i["value"] for i in row.get("identifiers", [])] + list(row.get("must_survive", [])):
            if item not in text:
                raise ValueError(f"{path}, item {lineno}: {item[:40]!r} is not in the sentence")
    return rows


def measure(scrubber: Scrubber, rows: list[dict[str, object]]) -> PrivacyResult:
    """Run the scrubber over every sentence and count."""
    result = PrivacyResult()
    for row in rows:
        text = str(row["text"])
        findings = scrubber.find(text)
        covered = {k for f in findings for k in range(f.start, f.end)}
        ident_chars: set[int] = set()
        identifiers = list(row.get("identifiers", []))  # type: ignore[call-overload]
        for ident in identifiers:
            value, kind = str(ident["value"]), str(ident["type"])
            start = text.find(value)
            ident_chars |= set(range(start, start + len(value)))
            alnum = [k for k in range(start, start + len(value)) if text[k].isalnum()]
            result.total[kind] += 1
            if sum(k in covered for k in alnum) >= 0.9 * max(1, len(alnum)):
                result.caught[kind] += 1
            else:
                result.misses.append(f"{kind}: {value}")
        for phrase in row.get("must_survive", []):  # type: ignore[attr-defined]
            result.survive_total += 1
            start = text.find(str(phrase))
            span = set(range(start, start + len(str(phrase))))
            hit = [f for f in findings if (set(range(f.start, f.end)) & span) - ident_chars]
            if hit:
                result.damaged[hit[0].kind] += 1
                result.false_positives.append(f"{hit[0].kind}: {phrase}")
        if not identifiers:
            result.clean_total += 1
            result.clean_touched += bool(findings)
    return result


def report(result: PrivacyResult) -> list[str]:
    """The printed figures."""
    caught, total = sum(result.caught.values()), sum(result.total.values())
    low, high = wilson_interval(caught, total)
    damaged = sum(result.damaged.values())
    d_low, d_high = wilson_interval(damaged, result.survive_total)
    return [
        f"direct identifiers caught: {caught}/{total} = {result.recall:.3f} [{low:.3f}, {high:.3f}]",
        "  by type: " + ", ".join(f"{k} {result.caught[k]}/{result.total[k]}" for k in DIRECT if result.total[k]),
        f"clinical phrases damaged (false positives): {damaged}/{result.survive_total} = "
        f"{damaged / max(1, result.survive_total):.3f} [{d_low:.3f}, {d_high:.3f}]",
        "  by what they were taken for: "
        + (", ".join(f"{k} {v}" for k, v in sorted(result.damaged.items())) or "none"),
        f"sentences without identifiers that were changed: {result.clean_touched}/{result.clean_total}",
    ]


def label_agreement(first: list[dict[str, object]], second_path: Path) -> tuple[int, int, int]:
    """(identifiers both labellings give with the same type and text, first's count, second's count).

    The second labelling lists `id` and `identifiers` per sentence, in the first's order; a
    sentence missing from it or out of order is named, since a count over misaligned rows would
    look like disagreement."""
    second = read_jsonl(second_path, required="id")
    if [row.get("id") for row in first] != [row["id"] for row in second]:
        raise ValueError(f"{second_path}: its sentence ids are not those of the first labelling, in order")

    def spans(row: dict[str, object]) -> Counter[tuple[str, str]]:
        items = row.get("identifiers", [])
        assert isinstance(items, list)
        return Counter((str(i["type"]), str(i["value"])) for i in items)

    agreed = sum(sum((spans(a) & spans(b)).values()) for a, b in zip(first, second, strict=True))
    return agreed, sum(sum(spans(a).values()) for a in first), sum(sum(spans(b).values()) for b in second)


def judge_changes(scrubber: Scrubber, dataset: Path) -> tuple[int, int, int]:
    """(transcripts whose offline scores changed, criterion verdicts changed, verdicts) when every
    answer of a labelled set is scrubbed first: drug names, eponyms and roles must survive."""
    from agents.domain.library import load_library
    from agents.domain.transcript import Role
    from agents.judging.offline import OfflineJudge
    from evals.dataset import load_dataset

    judge = OfflineJudge(load_library(Path(__file__).resolve().parent.parent / "prompts"))
    changed_transcripts = changed = verdicts = 0
    for sample in load_dataset(dataset):
        before = judge.judge(sample.transcript)
        scrubbed = sample.transcript.model_copy(deep=True)
        for turn in scrubbed.turns:
            if turn.role is Role.CANDIDATE:
                turn.text = scrubber.scrub(turn.text).text
        after = judge.judge(scrubbed)
        flips = sum(
            a.met != b.met
            for d in before.dimensions
            for a, b in zip(before.dimensions[d].criteria, after.dimensions[d].criteria, strict=True)
        )
        verdicts += sum(len(r.criteria) for r in before.dimensions.values())
        changed += flips
        changed_transcripts += before.scores != after.scores
    return changed_transcripts, changed, verdicts


def run_privacy_suite(args: argparse.Namespace, out: TextIO) -> int:
    """Measure, print, and exit 1 when a floor given on the command line is missed."""
    folder: Path = args.dataset
    if (folder / "FROZEN.sha256").exists():
        check_frozen(folder)
    result = measure(Scrubber(), read_sentences(folder / "sentences.jsonl"))
    for line in report(result):
        out.write(line + "\n")
    if args.judged is not None:
        moved, flips, verdicts = judge_changes(Scrubber(), args.judged)
        out.write(
            f"offline judge on {args.judged.name}, answers scrubbed first: {moved} transcript(s) changed score, "
            f"{flips}/{verdicts} criterion verdicts changed\n"
        )
    if args.show_examples:
        for miss in result.misses:
            out.write(f"  missed {miss}\n")
        for fp in result.false_positives:
            out.write(f"  damaged {fp}\n")
    if args.min_recall is not None and result.recall < args.min_recall:
        out.write(f"FAIL: recall {result.recall:.3f} < {args.min_recall}\n")
        return 1
    return 0
