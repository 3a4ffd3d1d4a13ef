"""Both eval suites end to end on the mock model (and the judge suite offline), as CI runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agents.adapters.cli import main
from agents.models.fake import MockScript
from evals.dataset import DEFAULT_DATASET, default_rubric

SMALL = ["explicit_01", "implicit_01", "minimal_01", "injection_01", "reciter_01"]


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "small"
    (folder / "transcripts").mkdir(parents=True)
    for name in ("labels.jsonl", "labels_second.jsonl"):
        rows = [json.loads(line) for line in (DEFAULT_DATASET / name).read_text().splitlines() if line.strip()]
        keep = [r for r in rows if r["id"] in SMALL]
        (folder / name).write_text("\n".join(json.dumps(r) for r in keep) + "\n")
    for sid in SMALL:
        shutil.copy(DEFAULT_DATASET / "transcripts" / f"{sid}.txt", folder / "transcripts")
    return folder


def test_judge_suite_offline_prints_metrics_ceiling_and_metamorphic(
    small_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run1"
    code = main(["eval", "judge", "--dataset", str(small_dataset), "--out", str(out), "--quiet"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "QWK" in text and "ceiling" in text and "metamorphic:" in text
    result = json.loads((out / "results.json").read_text())
    assert result["agreement"]["n"] == 5
    for kind in ("injection", "padding", "spoken", "paraphrase"):
        assert result["metamorphic"]["by_kind"][kind]["pass_rate"] == 1.0, kind
    assert result["run"]["rubric_version"] == default_rubric().version and result["run"]["git_commit"]
    html = (out / "report.html").read_text()
    assert "<svg" in html and "Per dimension" in html and "http" not in html.split("<body>")[1][:200]

    # A baseline equal to itself passes; an impossible threshold fails with a non-zero exit.
    assert (
        main(
            [
                "eval",
                "judge",
                "--dataset",
                str(small_dataset),
                "--quiet",
                "--no-metamorphic",
                "--baseline",
                str(out / "results.json"),
                "--max-regression",
                "1",
            ]
        )
        == 0
    )
    assert (
        main(["eval", "judge", "--dataset", str(small_dataset), "--quiet", "--no-metamorphic", "--min-qwk", "1.01"])
        == 1
    )


def test_judge_suite_on_mock_model_is_cached(
    small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COACH_MODE", "mock")
    args = ["eval", "judge", "--judge", "llm", "--dataset", str(small_dataset), "--quiet", "--no-metamorphic"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    first = json.loads((tmp_path / "a" / "results.json").read_text())["usage"]
    assert first["model_calls"] == 5 and first["cache_hits"] == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    second = json.loads((tmp_path / "b" / "results.json").read_text())["usage"]
    assert second["model_calls"] == 0 and second["cache_hits"] == 5
    assert main([*args, "--out", str(tmp_path / "c"), "--no-cache"]) == 0
    assert json.loads((tmp_path / "c" / "results.json").read_text())["usage"]["model_calls"] == 5
    capsys.readouterr()


def test_interviewer_suite_offline_and_mock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mock_script: MockScript, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "interviewer", "--scenarios", "2", "--out", str(tmp_path / "off"), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "probe-targeting accuracy" in text and "ranking Spearman" in text
    result = json.loads((tmp_path / "off" / "results.json").read_text())
    assert result["headline"]["probe_targeting_accuracy"] >= 0.8
    assert result["headline"]["stay_in_role_rate"] == 1.0
    assert result["headline"]["ranking_spearman"] >= 0.8

    monkeypatch.setenv("COACH_MODE", "mock")
    assert main(["eval", "interviewer", "--scenarios", "2", "--out", str(tmp_path / "mock"), "--quiet"]) == 0
    mocked = json.loads((tmp_path / "mock" / "results.json").read_text())
    assert mocked["headline"]["completed_rate"] == 1.0
    assert mock_script.calls_for("interviewer"), "probes are phrased through the mock interviewer model"
    capsys.readouterr()


def test_interviewer_eval_seeds_are_the_same_in_every_process() -> None:
    import subprocess
    import sys

    code = "from evals.interviewer_suite import persona_seed; print(persona_seed('cautious_nurse'))"
    env = {"PYTHONHASHSEED": "random", "PATH": "/usr/bin:/bin"}
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
        for _ in range(3)
    }
    assert len(runs) == 1, runs


def test_each_repeat_asks_the_model_again_and_is_cached_apart(
    small_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COACH_MODE", "mock")
    args = ["eval", "judge", "--judge", "llm", "--dataset", str(small_dataset), "--quiet", "--no-metamorphic"]
    assert main([*args, "--repeats", "2", "--out", str(tmp_path / "a")]) == 0
    first = json.loads((tmp_path / "a" / "results.json").read_text())
    assert first["usage"]["model_calls"] == 10 and first["usage"]["cache_hits"] == 0, "a repeat read the cache"
    assert first["flip_rate"] is not None and len(first["seconds_per_transcript"]) == 2
    assert main([*args, "--repeats", "2", "--out", str(tmp_path / "b")]) == 0
    again = json.loads((tmp_path / "b" / "results.json").read_text())["usage"]
    assert again["model_calls"] == 0 and again["cache_hits"] == 10, "the repeats were not kept for the next run"
    capsys.readouterr()


def test_a_sample_is_the_same_whatever_the_order_and_takes_the_bands_in_turn() -> None:
    from collections import Counter

    from evals.dataset import load_dataset
    from evals.judge_suite import stratified_sample

    samples = load_dataset(DEFAULT_DATASET, default_rubric())
    chosen = stratified_sample(samples, 12)
    assert [s.id for s in chosen] == [s.id for s in stratified_sample(list(reversed(samples)), 12)]
    assert len(chosen) == 12 and len({s.id for s in chosen}) == 12
    have = Counter(s.band.value for s in samples)
    got = Counter(s.band.value for s in chosen)
    for band, n in have.items():  # every band, as evenly as the set allows
        assert got[band] == min(n, 12 // len(have)) or got[band] >= 12 // len(have), (got, have)
    assert stratified_sample(samples, 1000) == sorted(samples, key=lambda s: s.id)
