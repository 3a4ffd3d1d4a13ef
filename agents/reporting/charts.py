"""Charts of feedback for the browser (plotly figures)."""

from __future__ import annotations

from typing import Any

from agents.domain.feedback import Feedback


def scores_figure(feedback: Feedback) -> Any:
    """Bar chart (a plotly Figure) of the dimension scores, with a line at three quarters of the scale."""
    import plotly.graph_objects as go

    top = max(1, feedback.scale_max)
    names = [r.name for r in feedback.dimensions.values()]
    values = [r.score for r in feedback.dimensions.values()]
    colours = ["#16a34a" if v >= 0.75 * top else "#f59e0b" if v >= 0.5 * top else "#dc2626" for v in values]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            marker_color=colours,
            text=[f"{v}/{top}" for v in values],
            textposition="outside",
            hovertemplate=f"%{{y}}: %{{x}}/{top}<extra></extra>",
        )
    )
    fig.add_vline(
        x=0.75 * top,
        line_dash="dash",
        line_color="#16a34a",
        annotation_text=f"{0.75 * top:g}",
        annotation_position="top",
    )
    fig.update_layout(
        title=f"Band: {feedback.band.value.replace('_', ' ')}",
        xaxis={"range": [0, top * 1.15], "dtick": 1, "title": f"criteria met (0–{top})"},
        yaxis={"autorange": "reversed"},
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        height=120 + 36 * len(values),
    )
    return fig
