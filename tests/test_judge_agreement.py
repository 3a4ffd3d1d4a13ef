"""The offline judge against the shipped labelled set: agreement per dimension, beside the ceiling
set by two independent human labellings. Figures are printed at the end of the test run."""

from __future__ import annotations

from agents.domain.library import PromptLibrary
from agents.judging.offline import OfflineJudge
from evals.agreement import agreement
from evals.dataset import DEFAULT_DATASET, default_rubric, load_dataset
from tests.figures import FIGURES

DIMENSION_IDS = tuple(default_rubric().dimension_ids)


def test_offline_judge_agreement_with_labels(library: PromptLibrary) -> None:
    samples = load_dataset(DEFAULT_DATASET)
    assert len(samples) >= 40
    judge = OfflineJudge(library)
    predicted = []
    for s in samples:
        fb = judge.judge(s.transcript)
        predicted.append({c.id: c.met for d in fb.dimensions.values() for c in d.criteria})
    result = agreement(predicted, [s.labels for s in samples])
    ceiling = agreement([s.second for s in samples if s.second], [s.labels for s in samples if s.second])
    lines = [f"offline judge vs labels on {result['n']} transcripts (human ceiling in brackets):"]
    for d in DIMENSION_IDS:
        lines.append(
            f"  {d:<12} QWK {result['dimensions'][d]['qwk']:.3f} [{ceiling['dimensions'][d]['qwk']:.3f}]"
            f"  exact {result['dimensions'][d]['exact']:.2f}  bias {result['dimensions'][d]['bias']:+.2f}"
        )
    lines.append(
        f"  mean QWK {result['mean_qwk']:.3f} [{ceiling['mean_qwk']:.3f}]  band accuracy "
        f"{result['band_accuracy']:.2f} [{ceiling['band_accuracy']:.2f}]  macro-F1 {result['macro_f1']:.3f}"
    )
    FIGURES.append("\n".join(lines))
    # Floors well below the measured figures: a regression in the analyzer trips them.
    assert result["mean_qwk"] >= 0.7
    assert result["band_accuracy"] >= 0.65
    assert all(result["dimensions"][d]["qwk"] >= 0.6 for d in DIMENSION_IDS)
