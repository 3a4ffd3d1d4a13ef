"""`coach eval references`: how many of the criteria each scenario's reference answer was written to
meet the offline judge credits. A reference answer the judge under-credits shows where its wording
rules miss plainly explicit text (no lexicon entry may be copied from a reference answer). Each
reference answer is also reworded by code (`paraphrases.yaml`): what the judge credits in it must
stay credited when the same thing is said in other ordinary words."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import TextIO

from agents.domain.library import PromptLibrary
from agents.judging.reference import reference_view
from evals.paraphrase import Paraphraser


def run_references_suite(args: argparse.Namespace, library: PromptLibrary, out: TextIO) -> int:
    """Print the credit rate per criterion and overall, and how much of it survives rewording;
    non-zero exit below `--min-credit` or `--min-kept`."""
    reword = Paraphraser.load()
    marked: Counter[str] = Counter()
    credited: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    scenarios = 0
    for scenario in library.scenarios:
        view = reference_view(library, scenario)
        if view is None:
            continue
        scenarios += 1
        marked.update(view.marked)
        credited.update(view.credited)
        missed = [c for c in view.marked if c not in view.credited]
        if missed and args.show_examples:
            out.write(f"  {scenario.id}: not credited {missed}\n")
        reworded = reference_view(
            library, scenario.model_copy(update={"reference_answer": reword.rewrite(scenario.reference_answer or "")})
        )
        still = set(reworded.credited) if reworded is not None else set()
        kept.update(c for c in view.credited if c in still)
        lost = [c for c in view.credited if c not in still]
        if lost and args.show_examples:
            out.write(f"  {scenario.id}: credit lost when reworded {lost}\n")
    total, got = sum(marked.values()), sum(credited.values())
    rate = got / total if total else 0.0
    out.write(f"reference answers: {scenarios} of {len(library.scenarios)} scenarios\n")
    out.write(f"criteria credited by the offline judge: {got}/{total} = {rate:.3f}\n")
    out.write(
        "by criterion: "
        + ", ".join(f"{c} {credited[c]}/{marked[c]}" for c in library.rubric.criterion_ids if marked[c])
        + "\n"
    )
    held = sum(kept.values())
    kept_rate = held / got if got else 0.0
    out.write(f"credit kept when reworded by code ({reword.version}): {held}/{got} = {kept_rate:.3f}\n")
    status = 0
    if args.min_credit is not None and rate < args.min_credit:
        out.write(f"FAIL: credit rate {rate:.3f} < --min-credit {args.min_credit}\n")
        status = 1
    if args.min_kept is not None and kept_rate < args.min_kept:
        out.write(f"FAIL: credit kept when reworded {kept_rate:.3f} < --min-kept {args.min_kept}\n")
        status = 1
    return status
