"""What both eval suites share: bounded concurrency with a progress bar, the model-call cache,
token/cost accounting, run metadata, result files and comparison with a baseline."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar, cast

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agents.config import Mode, Settings
from agents.domain.library import PromptLibrary
from agents.models.gateway import CallStats, ModelGateway, ResponseCache, Role

T = TypeVar("T")
R = TypeVar("R")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def git_commit() -> str:
    """The current commit, or 'unknown' outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


@dataclass
class EvalContext:
    """Settings, data, gateways and counters for one eval run."""

    settings: Settings
    library: PromptLibrary
    use_cache: bool = True
    gateways: dict[str, ModelGateway] = field(default_factory=dict)

    def gateway(self, role: Role, repeat: int = 0) -> ModelGateway | None:
        """A gateway for a role (shared within the run), or None offline. Each repeat of a run
        has a cache of its own, so a repeat asks the model again (and is kept for the next run)."""
        if self.settings.mode is Mode.OFFLINE:
            return None
        name = role if repeat == 0 else f"{role}-repeat-{repeat}"
        if name not in self.gateways:
            cache = None
            if self.use_cache:
                cache_dir = self.settings.coach_cache_dir or (self.settings.coach_data_dir / "cache")
                cache = ResponseCache(cache_dir if repeat == 0 else cache_dir / f"repeat-{repeat}")
            self.gateways[name] = ModelGateway(self.settings, role, cache=cache)
        return self.gateways[name]

    def stats(self) -> CallStats:
        """All gateways' counts added up."""
        total = CallStats()
        for gw in self.gateways.values():
            total.merge(gw.stats)
        return total

    def usage(self) -> dict[str, Any]:
        """Calls, cache hits, tokens, estimated cost and latency for the run."""
        s = self.stats()
        price_in = float(os.environ.get("COACH_PRICE_INPUT_PER_MTOK", "0.15"))
        price_out = float(os.environ.get("COACH_PRICE_OUTPUT_PER_MTOK", "0.60"))
        lat = sorted(s.latencies)
        return {
            "model_calls": s.calls,
            "cache_hits": s.cache_hits,
            "retries": s.retries,
            "failures": s.failures,
            "prompt_tokens": s.prompt_tokens,
            "completion_tokens": s.completion_tokens,
            "estimated_cost_usd": round(s.prompt_tokens / 1e6 * price_in + s.completion_tokens / 1e6 * price_out, 6),
            "prices_per_mtok": {"input": price_in, "output": price_out},
            "latency_s": {
                "mean": round(sum(lat) / len(lat), 4) if lat else None,
                "p50": round(lat[len(lat) // 2], 4) if lat else None,
                "max": round(lat[-1], 4) if lat else None,
            },
        }

    def metadata(self, suite: str) -> dict[str, Any]:
        """What the run was made with: versions, models, commit, time."""
        models = {role: gw.model_name for role, gw in self.gateways.items()}
        return {
            "suite": suite,
            "created_at": datetime.now(UTC).isoformat(),
            "git_commit": git_commit(),
            "mode": self.settings.mode.value,
            "models": models or {"judge": "offline", "interviewer": "offline"},
            "rubric_version": self.library.rubric.version,
            "prompt_versions": self.library.versions(),
        }


async def run_bounded(
    items: Sequence[T],
    work: Callable[[T], Awaitable[R]],
    *,
    concurrency: int,
    label: str,
    quiet: bool = False,
) -> list[R]:
    """Run `work` over items with at most `concurrency` at once; results keep the input order."""
    semaphore = asyncio.Semaphore(max(1, concurrency))
    results: list[Any] = [None] * len(items)
    console = Console(stderr=True, quiet=quiet)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet,
    ) as progress:
        task = progress.add_task(label, total=len(items))

        async def one(i: int, item: T) -> None:
            async with semaphore:
                results[i] = await work(item)
            progress.advance(task)

        await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
    return cast(list[R], results)


def flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Nested metric dicts to {'a.b.c': number} for comparison."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


# Metrics where a lower value is better; everything else in the headline is higher-is-better.
LOWER_IS_BETTER = ("bias_abs", "flip_rate", "failures", "length_score_correlation_abs")


def compare_with_baseline(
    headline: dict[str, Any], baseline_path: Path, max_regression: float
) -> tuple[list[str], list[str]]:
    """Per-metric diff lines and the list of regressions beyond the threshold."""
    try:
        baseline = json.loads(baseline_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"baseline {baseline_path} could not be read: {exc}"], [f"unreadable baseline {baseline_path}"]
    old = flatten(baseline.get("headline", {}))
    new = flatten(headline)
    lines, regressions = [], []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            lines.append(f"  {name}: {'new' if name not in old else 'gone'}")
            continue
        delta = new[name] - old[name]
        worse = delta > max_regression if name.endswith(LOWER_IS_BETTER) else -delta > max_regression
        mark = "  REGRESSION" if worse else ""
        lines.append(f"  {name}: {old[name]:.4f} -> {new[name]:.4f} ({delta:+.4f}){mark}")
        if worse:
            regressions.append(name)
    return lines, regressions


def write_results(out_dir: Path, result: dict[str, Any], html: str) -> tuple[Path, Path]:
    """Save results JSON and the HTML report; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "results.json"
    html_path = out_dir / "report.html"
    json_path.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    html_path.write_text(html, encoding="utf-8")
    return json_path, html_path


def default_out_dir(settings: Settings, suite: str) -> Path:
    """A fresh folder under the data dir for a run's files."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return settings.coach_data_dir / "evals" / f"{suite}-{stamp}"


def svg_bars(title: str, series: dict[str, dict[str, float | None]], width: int = 640) -> str:
    """A grouped horizontal bar chart as inline SVG (values 0..1), for self-contained reports."""
    from html import escape

    colours = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626"]
    labels = list(next(iter(series.values())).keys()) if series else []
    row_h = 14 * max(1, len(series)) + 10
    height = 40 + row_h * len(labels) + 20
    parts = [f"<svg width='{width}' height='{height}' role='img' aria-label='{escape(title)}'>"]
    parts.append(f"<text x='0' y='16' font-size='14' font-weight='600'>{escape(title)}</text>")
    for k, name in enumerate(series):
        parts.append(
            f"<rect x='{200 + k * 120}' y='24' width='10' height='10' fill='{colours[k % 4]}'/>"
            f"<text x='{214 + k * 120}' y='33' font-size='11'>{escape(name)}</text>"
        )
    for i, label in enumerate(labels):
        y = 44 + i * row_h
        parts.append(f"<text x='0' y='{y + 10}' font-size='12'>{escape(label)}</text>")
        for k, values in enumerate(series.values()):
            v = values.get(label)
            w = 0 if v is None else max(0.0, min(1.0, v)) * (width - 260)
            parts.append(
                f"<rect x='140' y='{y + k * 14}' width='{w:.1f}' height='12' fill='{colours[k % 4]}'/>"
                f"<text x='{146 + w:.1f}' y='{y + k * 14 + 10}' font-size='10'>{'' if v is None else f'{v:.2f}'}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def html_page(title: str, body: str) -> str:
    """A self-contained HTML page (inline CSS, no external resources)."""
    css = (
        "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#1f2937}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #e5e7eb;padding:.3rem .6rem;"
        "text-align:right}th:first-child,td:first-child{text-align:left}h2{margin-top:2rem}"
        ".bad{color:#b91c1c}.good{color:#166534}code{background:#f3f4f6;padding:0 .2rem}"
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{css}</style></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def print_lines(out: TextIO, lines: Sequence[str]) -> None:
    """Write lines to a stream."""
    for line in lines:
        out.write(line + "\n")
    out.flush()
