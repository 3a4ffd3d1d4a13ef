"""Agreement between a judge's verdicts and reference labels, per dimension and per criterion."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from agents.domain.rubric import Rubric
from evals.dataset import default_rubric
from evals.metrics import (
    confusion,
    exact_agreement,
    macro_f1,
    mean_signed_bias,
    pearson,
    precision_recall_f1,
    quadratic_weighted_kappa,
    spearman,
    within_one,
)

BANDS = ("strong", "borderline", "needs_work")


def _clean(x: float) -> float | None:
    return None if x != x else round(x, 4)  # NaN -> None for JSON


def bootstrap_intervals(
    p_scores: Sequence[dict[str, int]],
    r_scores: Sequence[dict[str, int]],
    p_bands: Sequence[str],
    r_bands: Sequence[str],
    rubric: Rubric,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[list[float] | None, list[float] | None]:
    """95 % bootstrap intervals (transcripts drawn with replacement; a fixed seed, so the same data
    always gives the same interval) for the mean QWK and the band accuracy. With a few dozen
    transcripts a difference inside the interval is noise."""
    n = len(p_scores)
    if n < 2:
        return None, None
    rng = random.Random(seed)
    low, high = rubric.scale.min, rubric.scale.max
    qwks: list[float] = []
    bands: list[float] = []
    for _ in range(resamples):
        pick = [rng.randrange(n) for _ in range(n)]
        per_dim = [
            quadratic_weighted_kappa([p_scores[i][d] for i in pick], [r_scores[i][d] for i in pick], low, high)
            for d in rubric.dimension_ids
        ]
        finite = [q for q in per_dim if q == q]
        if finite:
            qwks.append(sum(finite) / len(finite))
        bands.append(sum(1 for i in pick if p_bands[i] == r_bands[i]) / n)

    def interval(values: list[float]) -> list[float] | None:
        if not values:
            return None
        values = sorted(values)
        return [round(values[int(0.025 * (len(values) - 1))], 4), round(values[int(0.975 * (len(values) - 1))], 4)]

    return interval(qwks), interval(bands)


def agreement(
    predicted: Sequence[dict[str, bool]],
    reference: Sequence[dict[str, bool]],
    lengths: Sequence[int] | None = None,
    rubric: Rubric | None = None,
) -> dict[str, Any]:
    """All agreement figures between two labellings of the same transcripts (same order)."""
    if len(predicted) != len(reference):
        raise ValueError("predicted and reference must cover the same transcripts")
    rubric = rubric or default_rubric()
    p_scores = [rubric.scores(p) for p in predicted]
    r_scores = [rubric.scores(r) for r in reference]
    dims: dict[str, Any] = {}
    low, high = rubric.scale.min, rubric.scale.max
    for d in rubric.dimension_ids:
        ps = [s[d] for s in p_scores]
        rs = [s[d] for s in r_scores]
        dims[d] = {
            "qwk": _clean(quadratic_weighted_kappa(ps, rs, low, high)),
            "spearman": _clean(spearman(ps, rs)),
            "exact": _clean(exact_agreement(ps, rs)),
            "within_one": _clean(within_one(ps, rs)),
            "bias": _clean(mean_signed_bias(ps, rs)),
        }
    crits: dict[str, Any] = {}
    f1s = []
    for c in rubric.criterion_ids:
        pv = [p[c] for p in predicted]
        rv = [r[c] for r in reference]
        prec, rec, f1 = precision_recall_f1(pv, rv)
        mf1 = macro_f1(pv, rv)
        f1s.append(mf1)
        crits[c] = {
            "precision": _clean(prec),
            "recall": _clean(rec),
            "f1": _clean(f1),
            "macro_f1": _clean(mf1),
            "accuracy": _clean(sum(1 for a, b in zip(pv, rv, strict=True) if a == b) / len(pv)),
            "support": sum(rv),
        }
    p_bands = [rubric.band(s).value for s in p_scores]
    r_bands = [rubric.band(s).value for s in r_scores]
    qwks = [dims[d]["qwk"] for d in rubric.dimension_ids if dims[d]["qwk"] is not None]
    qwk_ci, band_ci = bootstrap_intervals(p_scores, r_scores, p_bands, r_bands, rubric)
    out: dict[str, Any] = {
        "n": len(predicted),
        "mean_qwk": _clean(sum(qwks) / len(qwks)) if qwks else None,
        "mean_qwk_ci": qwk_ci,
        "band_accuracy_ci": band_ci,
        "band_accuracy": _clean(sum(1 for a, b in zip(p_bands, r_bands, strict=True) if a == b) / len(p_bands)),
        "band_confusion": confusion(p_bands, r_bands, BANDS),
        "macro_f1": _clean(sum(f1s) / len(f1s)),
        "dimensions": dims,
        "criteria": crits,
    }
    if lengths is not None:
        totals = [float(sum(s.values())) for s in p_scores]
        out["length_score_correlation"] = _clean(pearson([float(x) for x in lengths], totals))
    return out
