"""Agreement metrics for judge evaluation (no third-party dependencies)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], min_rating: int = 0, max_rating: int = 4) -> float:
    """Cohen's kappa with quadratic weights. 1.0 when both raters agree perfectly.

    When neither rater varies and they agree, kappa is defined here as 1.0 (perfect agreement);
    when neither varies and they disagree, 0.0.
    """
    if len(a) != len(b):
        raise ValueError("ratings must have the same length")
    if not a:
        return float("nan")
    n = max_rating - min_rating + 1
    observed = [[0.0] * n for _ in range(n)]
    for x, y in zip(a, b, strict=True):
        observed[x - min_rating][y - min_rating] += 1
    hist_a = [sum(row) for row in observed]
    hist_b = [sum(observed[i][j] for i in range(n)) for j in range(n)]
    total = float(len(a))
    num = 0.0
    den = 0.0
    for i in range(n):
        for j in range(n):
            w = ((i - j) ** 2) / ((n - 1) ** 2)
            expected = hist_a[i] * hist_b[j] / total
            num += w * observed[i][j]
            den += w * expected
    if den == 0:
        return 1.0 if num == 0 else 0.0
    return 1.0 - num / den


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1
        for k in range(i, j + 1):
            ranks[order[k]] = avg
        i = j + 1
    return ranks


def pearson(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson correlation; NaN when either side is constant."""
    n = len(a)
    if n < 2:
        return float("nan")
    ma, mb = sum(a) / n, sum(b) / n
    va = sum((x - ma) ** 2 for x in a)
    vb = sum((y - mb) ** 2 for y in b)
    if va == 0 or vb == 0:
        return float("nan")
    return sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True)) / math.sqrt(va * vb)


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (Pearson on average ranks)."""
    return pearson(_ranks(a), _ranks(b))


def exact_agreement(a: Sequence[int], b: Sequence[int]) -> float:
    """Share of items with identical scores."""
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a) if a else float("nan")


def within_one(a: Sequence[int], b: Sequence[int]) -> float:
    """Share of items whose scores differ by at most one."""
    return sum(1 for x, y in zip(a, b, strict=True) if abs(x - y) <= 1) / len(a) if a else float("nan")


def mean_signed_bias(pred: Sequence[int], ref: Sequence[int]) -> float:
    """Mean of (predicted - reference): positive means the judge over-credits."""
    return sum(p - r for p, r in zip(pred, ref, strict=True)) / len(pred) if pred else float("nan")


def precision_recall_f1(pred: Sequence[bool], ref: Sequence[bool]) -> tuple[float, float, float]:
    """Binary precision, recall and F1 for the positive class (met)."""
    tp = sum(1 for p, r in zip(pred, ref, strict=True) if p and r)
    fp = sum(1 for p, r in zip(pred, ref, strict=True) if p and not r)
    fn = sum(1 for p, r in zip(pred, ref, strict=True) if r and not p)
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def macro_f1(pred: Sequence[bool], ref: Sequence[bool]) -> float:
    """HealthBench-style macro F1: the mean of F1 for 'met' and F1 for 'not met'."""
    _, _, f_pos = precision_recall_f1(pred, ref)
    _, _, f_neg = precision_recall_f1([not p for p in pred], [not r for r in ref])
    return (f_pos + f_neg) / 2


def confusion(pred: Sequence[str], ref: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """Confusion matrix as {reference: {predicted: count}}."""
    out = {r: dict.fromkeys(labels, 0) for r in labels}
    for p, r in zip(pred, ref, strict=True):
        out[r][p] += 1
    return out


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval for a proportion (sound near 0 and 1, where the normal one is not)."""
    if total == 0:
        return (float("nan"), float("nan"))
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))
