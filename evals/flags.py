"""`coach eval flags`: the verdicts users said were wrong, as candidate labels for the next
labelling round. They are never trained on as they are: a person reviews each first."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import TextIO

from agents.config import Settings
from agents.domain.transcript import Role
from agents.storage.factory import make_repository


async def export_flags(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """One JSON line per flag, with the interview's answers and the versions it was judged under."""
    repository = make_repository(settings)
    rows = []
    for transcript in await repository.interviews():
        answers = [t.text for t in transcript.turns if t.role is Role.CANDIDATE]
        for flag in transcript.flags:
            rows.append(
                {
                    "transcript_id": transcript.id,
                    "scenario_ids": transcript.scenario_ids,
                    **flag.model_dump(mode="json"),
                    "answers": answers,
                }
            )
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    else:
        out.write(text)
    by = Counter(r["criterion"] for r in rows)
    interviews = len({r["transcript_id"] for r in rows})
    summary = ", ".join(f"{c} {n}" for c, n in sorted(by.items())) or "none"
    err.write(f"{len(rows)} flag(s) on {interviews} interview(s): {summary}\n")
    return 0
