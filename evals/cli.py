"""`coach eval ...` argument parsing and dispatch."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from agents.config import Settings
from evals.dataset import DEFAULT_DATASET
from evals.filter_suite import BLIND_FILTER_SET
from evals.privacy_suite import BLIND_PRIVACY_SET


def add_eval_parser(sub: Any) -> None:
    """Register the `coach eval` suites: judge, filter, privacy, references, spoken, flags, interviewer."""
    e = sub.add_parser("eval", help="offline eval suites")
    esub = e.add_subparsers(dest="suite", required=True)

    j = esub.add_parser("judge", help="measure a judge against labelled transcripts")
    j.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    j.add_argument("--judge", choices=["offline", "llm"], default="offline")
    j.add_argument("--repeats", type=int, default=1, help="judge each transcript this many times (each cached apart)")
    j.add_argument(
        "--sample",
        type=int,
        default=None,
        metavar="N",
        help="a fixed sample of N transcripts, stratified by labelled band",
    )
    j.add_argument("--concurrency", type=int, default=4)
    j.add_argument("--no-cache", action="store_true", help="bypass the model-call cache")
    j.add_argument("--no-metamorphic", action="store_true", help="skip the metamorphic suites")
    j.add_argument("--out", type=Path, default=None, help="folder for results JSON and HTML report")
    j.add_argument("--baseline", type=Path, default=None, help="a previous results JSON to compare with")
    j.add_argument("--max-regression", type=float, default=0.05, help="allowed drop per metric vs baseline")
    j.add_argument("--min-qwk", type=float, default=None)
    j.add_argument("--min-band-accuracy", type=float, default=None)
    j.add_argument("--quiet", action="store_true", help="no progress bar")

    f = esub.add_parser("filter", help="measure the grader-directed filter: innocent sentences and attacks")
    f.add_argument("--dataset", type=Path, default=BLIND_FILTER_SET, help="folder with innocent.jsonl, attacks.jsonl")
    f.add_argument("--max-false-positives", type=float, default=None)
    f.add_argument("--min-earn-nothing", type=float, default=None)
    f.add_argument("--show-examples", action="store_true", help="print the sentences the filter got wrong")

    p = esub.add_parser("privacy", help="measure the personal-data scrubber on labelled sentences")
    p.add_argument("--dataset", type=Path, default=BLIND_PRIVACY_SET, help="folder with sentences.jsonl")
    p.add_argument("--min-recall", type=float, default=None)
    p.add_argument("--judged", type=Path, default=None, help="also judge this labelled set with answers scrubbed")
    p.add_argument("--show-examples", action="store_true", help="print what was missed or damaged")

    r = esub.add_parser("references", help="how much of each reference answer the offline judge credits")
    r.add_argument("--min-credit", type=float, default=None)
    r.add_argument("--min-kept", type=float, default=None, help="least share of credit kept when reworded")
    r.add_argument("--show-examples", action="store_true", help="name the criteria not credited per scenario")

    sp = esub.add_parser("spoken", help="speak every answer of a labelled set, hear it, and judge both versions")
    sp.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    sp.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N transcripts")
    sp.add_argument("--model", default="base", help="local speech model: base or tiny.en")
    sp.add_argument("--cache", type=Path, default=None, help="where heard answers are kept (default: the data folder)")
    sp.add_argument("--no-cache", action="store_true", help="speak and hear every answer again")
    sp.add_argument("--out", type=Path, default=None, help="folder for spoken.json")
    sp.add_argument(
        "--max-changed", type=float, default=None, help="fail when more transcripts than this share change score"
    )

    fl = esub.add_parser("flags", help="export the verdicts users flagged as wrong, as candidate labels")
    fl.add_argument("--out", type=Path, default=None, help="write JSONL here instead of standard output")

    i = esub.add_parser("interviewer", help="run simulated candidates against the interviewer")
    i.add_argument("--personas", type=Path, default=None)
    i.add_argument("--scenarios", type=int, default=3)
    i.add_argument("--concurrency", type=int, default=4)
    i.add_argument("--no-cache", action="store_true")
    i.add_argument("--out", type=Path, default=None)
    i.add_argument("--baseline", type=Path, default=None)
    i.add_argument("--max-regression", type=float, default=0.05)
    i.add_argument("--min-probe-accuracy", type=float, default=None)
    i.add_argument("--quiet", action="store_true")


async def run_eval(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """Run the chosen suite; exit non-zero on a threshold or baseline regression."""
    if args.suite == "references":
        from agents.domain.library import load_library
        from evals.references_suite import run_references_suite

        return run_references_suite(args, load_library(settings.coach_prompts_dir), out)
    if args.suite == "spoken":
        from agents.domain.library import load_library
        from evals.spoken_suite import run_spoken_suite

        if args.cache is None:
            args.cache = settings.coach_data_dir / "evals" / "spoken-cache"
        return run_spoken_suite(args, load_library(settings.coach_prompts_dir), out)
    if args.suite == "flags":
        from evals.flags import export_flags

        return await export_flags(args, settings, out, err)
    if args.suite == "privacy":
        from evals.privacy_suite import run_privacy_suite

        return run_privacy_suite(args, out)
    if args.suite == "filter":
        from agents.domain.library import load_library
        from evals.filter_suite import run_filter_suite

        return run_filter_suite(args, load_library(settings.coach_prompts_dir), out)
    if args.suite == "judge":
        from evals.judge_suite import run_judge_suite

        return await run_judge_suite(args, settings, out, err)
    from evals.interviewer_suite import run_interviewer_suite

    return await run_interviewer_suite(args, settings, out, err)
