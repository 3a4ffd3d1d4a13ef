"""Progress over time: each dimension's score across one user's interviews, and the criteria they
leave unsaid most often (for the browser's "My progress" and `coach progress`).

Scores judged under different rubric versions are not the same measure, so a line never joins two
of them: each version is its own segment, and the chart marks where the version changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agents.domain.feedback import Feedback
from agents.domain.rubric import Rubric
from agents.security.markdown import md_inline


@dataclass(frozen=True)
class ProgressPoint:
    """One finished interview's scores."""

    transcript_id: str
    when: datetime
    rubric_version: str
    judge_kind: str
    scores: dict[str, int]
    scale_max: int
    band: str


@dataclass(frozen=True)
class Missed:
    """A criterion left unsaid, and in how many of the interviews counted."""

    criterion: str
    name: str
    interviews: int
    of: int


@dataclass(frozen=True)
class Progress:
    """A user's interviews with feedback, oldest first, and what they miss most."""

    points: list[ProgressPoint]
    dimensions: dict[str, str]  # id -> name, in rubric order
    most_missed: list[Missed] = field(default_factory=list)

    @property
    def version_changes(self) -> list[int]:
        """Indices of the points judged under a different rubric version from the point before."""
        pts = self.points
        return [i for i in range(1, len(pts)) if pts[i].rubric_version != pts[i - 1].rubric_version]


def missed_counts(feedbacks: Iterable[Feedback], criteria: Sequence[str]) -> Counter[str]:
    """In how many of these feedbacks each of `criteria` was not met."""
    wanted = set(criteria)
    counts: Counter[str] = Counter()
    for fb in feedbacks:
        counts.update({c.id for d in fb.dimensions.values() for c in d.criteria if not c.met and c.id in wanted})
    return counts


def ranked_misses(counts: Counter[str], criteria: Sequence[str]) -> list[str]:
    """Criteria missed at least once, most often first; ties in rubric order."""
    return sorted((c for c in counts if counts[c]), key=lambda c: (-counts[c], list(criteria).index(c)))


def progress_of(feedbacks: Sequence[Feedback], rubric: Rubric, *, top: int = 3, recent: int = 5) -> Progress:
    """Progress from a user's feedbacks (any order). Most missed: the per-answer criteria (the ones a
    drill can exercise) missed in the latest `recent` interviews judged under the current rubric."""
    ordered = sorted(feedbacks, key=lambda fb: fb.created_at)
    points = [
        ProgressPoint(
            transcript_id=fb.transcript_id or "",
            when=fb.created_at,
            rubric_version=fb.rubric_version,
            judge_kind=fb.judge_kind.value,
            scores=dict(fb.scores),
            scale_max=fb.scale_max,
            band=fb.band.value,
        )
        for fb in ordered
    ]
    from agents.domain.rubric import Scope

    drillable = rubric.ids_where(scope=Scope.ANSWER)
    current = [fb for fb in ordered if fb.rubric_version == rubric.version][-recent:]
    counts = missed_counts(current, drillable)
    missed = [
        Missed(c, rubric.criterion(c).name, counts[c], len(current)) for c in ranked_misses(counts, drillable)[:top]
    ]
    dimensions = {d.id: d.name for d in rubric.dimensions}
    return Progress(points=points, dimensions=dimensions, most_missed=missed)


def progress_markdown(progress: Progress, *, drill_hint: str | None = None) -> str:
    """The table of interviews and scores, the version marks, and the most missed criteria."""
    if not progress.points:
        return "## My progress\n\nNo finished interview with feedback yet: finish one to see your scores here.\n"
    dims = list(progress.dimensions)
    head = "| # | Date | Rubric | " + " | ".join(progress.dimensions[d] for d in dims) + " | Band |"
    lines = ["## My progress", "", head, "|" + "---|" * (len(dims) + 4)]
    changes = set(progress.version_changes)
    for i, p in enumerate(progress.points, start=1):
        mark = " ⟂" if (i - 1) in changes else ""
        cells = " | ".join(f"{p.scores[d]}/{p.scale_max}" if d in p.scores else "—" for d in dims)
        fallback = " (fallback judge)" if p.judge_kind == "fallback" else ""
        band = p.band.replace("_", " ") + fallback
        lines.append(f"| {i} | {p.when:%Y-%m-%d} | {p.rubric_version}{mark} | {cells} | {band} |")
    if changes:
        lines += ["", "⟂ the rubric changed here: scores before and after are different measures and are not joined."]
    if progress.most_missed:
        lines += ["", "**Left unsaid most often lately:**"]
        lines += [
            f"- **{m.criterion}** {m.name} — in {m.interviews} of {m.of} interview(s)" for m in progress.most_missed
        ]
        if drill_hint:
            lines += ["", drill_hint]
    return "\n".join(lines) + "\n"


def progress_figure(progress: Progress) -> Any:
    """A plotly line chart: one line per dimension, broken (and marked) where the rubric changed."""
    import plotly.graph_objects as go

    fig = go.Figure()
    segments: list[list[int]] = []
    for i, p in enumerate(progress.points):
        if not segments or progress.points[segments[-1][-1]].rubric_version != p.rubric_version:
            segments.append([])
        segments[-1].append(i)
    palette = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"]
    for k, (dim, name) in enumerate(progress.dimensions.items()):
        for s, seg in enumerate(segments):
            fig.add_trace(
                go.Scatter(
                    x=[i + 1 for i in seg],
                    y=[progress.points[i].scores.get(dim) for i in seg],
                    mode="lines+markers",
                    name=name,
                    legendgroup=dim,
                    showlegend=s == 0,
                    line={"color": palette[k % len(palette)]},
                    hovertemplate=f"{name}: %{{y}} (interview %{{x}}, rubric {progress.points[seg[0]].rubric_version})"
                    "<extra></extra>",
                )
            )
    for i in progress.version_changes:
        fig.add_vline(
            x=i + 0.5,
            line_dash="dot",
            line_color="#6b7280",
            annotation_text=f"rubric {progress.points[i].rubric_version}",
            annotation_position="top",
        )
    top = max((p.scale_max for p in progress.points), default=4)
    fig.update_layout(
        title="Scores across your interviews",
        xaxis={"title": "interview", "dtick": 1},
        yaxis={"title": f"criteria met (0–{top})", "range": [-0.2, top + 0.3], "dtick": 1},
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        height=360,
    )
    return fig


def cohort_markdown(cohort: str, members: dict[str, Progress]) -> str:
    """An educator's view of one cohort: each member's interviews, latest scores and most missed
    criteria, and what the cohort as a whole leaves unsaid most often."""
    lines = [f"## Cohort {cohort}", ""]
    if not members:
        return "\n".join([*lines, "No candidates in this cohort yet (`coach users add NAME --cohort …`).", ""])
    dims: dict[str, str] = next(iter(members.values())).dimensions
    lines += [
        "| Candidate | Interviews | Latest | " + " | ".join(dims.values()) + " | Left unsaid most |",
        "|" + "---|" * (len(dims) + 4),
    ]
    together: Counter[str] = Counter()
    names: dict[str, str] = {}
    for member, progress in members.items():
        latest = progress.points[-1] if progress.points else None
        cells = " | ".join(
            f"{latest.scores[d]}/{latest.scale_max}" if latest and d in latest.scores else "—" for d in dims
        )
        band = f"{latest.band.replace('_', ' ')} ({latest.when:%Y-%m-%d})" if latest else "—"
        missed = ", ".join(m.criterion for m in progress.most_missed[:2]) or "—"
        lines.append(f"| {md_inline(member, 80)} | {len(progress.points)} | {band} | {cells} | {missed} |")
        for m in progress.most_missed:
            together[m.criterion] += m.interviews
            names[m.criterion] = m.name
    if together:
        lines += ["", "**What the cohort leaves unsaid most often lately:**"]
        lines += [f"- **{c}** {names[c]} — {n} interview(s)" for c, n in together.most_common(3)]
    return "\n".join(lines) + "\n"
