"""Feedback as people read it: Markdown (terminal, chat, download) and a self-contained HTML page."""

from __future__ import annotations

import html
import json

from agents.domain.feedback import Feedback, JudgeKind, ReferenceView
from agents.domain.speech import DeliveryLimits
from agents.security.markdown import md_inline

BAND_LABEL = {"strong": "Strong", "borderline": "Borderline", "needs_work": "Needs work"}


def judge_line(fb: Feedback) -> str:
    """One line saying who judged and how."""
    if fb.judge_kind is JudgeKind.RULE_BASED:
        return "Judge: offline, **rule-based** — it checks for explicit wording, not clinical depth."
    if fb.judge_kind is JudgeKind.FALLBACK:
        why = f" ({fb.fallback_reason})" if fb.fallback_reason else ""
        return (
            "Judge: **offline rule-based fallback** — the model judge could not be used"
            f"{why}. You can re-run the model judge later from the saved transcript."
        )
    return f"Judge: model `{fb.judge}`."


def score_table(fb: Feedback) -> str:
    """Markdown table of the dimension scores with what each is missing."""
    rows = ["| Dimension | Score | Not yet explicit |", "|---|---|---|"]
    for r in fb.dimensions.values():
        rows.append(f"| {r.name} | **{r.score}/{fb.scale_max}** | {', '.join(r.missing) or '—'} |")
    return "\n".join(rows)


def summary_markdown(fb: Feedback) -> str:
    """The headline: band, who judged, the score table and any notes."""
    band = fb.band.value
    lines = [
        f"## Feedback — {BAND_LABEL[band]}",
        "",
        f"**Band: {BAND_LABEL[band]}** ({_meaning(fb)}). Mean score {_mean(fb):.2f} / {fb.scale_max}.",
        "",
        judge_line(fb),
        "",
        *([f"*{fb.agreement}*", ""] if fb.agreement else []),
        score_table(fb),
        "",
    ]
    lines += [f"> {md_inline(note)}" for note in fb.notes]
    return "\n".join(lines).rstrip() + "\n"


def details_markdown(fb: Feedback) -> str:
    """Per dimension: what was met with your words as evidence, what was missing, and the rewrite."""
    lines = ["## What you said, and what you left unsaid", ""]
    for r in fb.dimensions.values():
        lines.append(f"### {r.name} — {r.score}/{fb.scale_max}")
        if r.suggestion:
            if r.improves:
                lines.append(f"> Your words (turn {r.improves.turn}): “{_clip(r.improves.quote)}”")
                lines.append(">")
                lines.append(f"> **Say it explicitly:** {r.suggestion}")
            else:
                lines.append(f"> **Say it explicitly:** {r.suggestion}")
            lines.append("")
        for c in r.criteria:
            mark = "**Met**" if c.met else "*Not yet*"
            lines.append(f"- {mark} · **{c.id}** {f'({c.name})' if c.name else ''} — {md_inline(c.reasoning)}")
            for ev in c.evidence:
                lines.append(f"    - turn {ev.turn}: “{_clip(ev.quote)}”")
        lines.append("")
    if fb.disagreements:
        lines += [
            "### Where the two judges disagree",
            "",
            f"The scores are the model judge's; the offline (rule-based) judge read {len(fb.disagreements)} "
            "criterion(s) otherwise on the same answers. Contested verdicts are the ones to check, and to flag "
            "when you think the scored one is wrong.",
            "",
        ]
        for d in fb.disagreements:
            said = "met" if d.model_met else "not met"
            other = "met" if d.offline_met else "not met"
            lines.append(
                f"- **{d.id}** {f'({d.name})' if d.name else ''} — model judge: {said}; offline judge: {other}"
            )
            lines += [f"    - offline judge's quote, turn {q.turn}: “{_clip(q.quote)}”" for q in d.offline_evidence[:2]]
        lines.append("")
    lines.append(f"_Rubric {fb.rubric_version}. Practice feedback, not clinical advice._")
    return "\n".join(lines)


def _mean(fb: Feedback) -> float:
    return sum(fb.scores.values()) / max(1, len(fb.scores))


def _meaning(fb: Feedback) -> str:
    return fb.band_meaning or "see the rubric's band rules"


def reference_markdown(view: ReferenceView) -> str:
    """A reference answer after feedback: each sentence with the criteria it earned, so "explicit"
    can be seen on the case just answered."""
    lines = [f"### A strong answer to: {md_inline(view.title, 120)}", ""]
    for text, criteria in view.sentences:
        marks = f" — **{', '.join(criteria)}**" if criteria else ""
        lines.append(f"> {md_inline(text, 600)}{marks}")
        lines.append(">")
    if lines[-1] == ">":
        lines.pop()
    lines += ["", f"_Marked by the offline judge; the answer was written to meet {', '.join(view.marked)}._"]
    return "\n".join(lines)


def delivery_markdown(fb: Feedback, limits: DeliveryLimits) -> str:
    """How the spoken answers were delivered, per answer, against the real screens' limits. Empty when
    no answer was spoken. Separate from the dimensions: delivery never changes a score."""
    if not fb.delivery:
        return ""
    low, high = limits.guide_seconds
    slow, fast = limits.words_per_minute
    lines = [
        "## Delivery (spoken answers — not part of the scores)",
        "",
        f"Guide: {low / 60:g}–{high / 60:g} min an answer, {slow:g}–{fast:g} words a minute, no pause over "
        f"{limits.long_pause_seconds:g} s mid-answer (it may be taken as the end), main point in the first sentence.",
        "",
        "| Answer | Time | Words/min | Hesitations | Long pauses | Main point first |",
        "|---|---|---|---|---|---|",
    ]
    advice: list[str] = []
    for row in fb.delivery:
        d = row.delivery
        time_note = "short" if d.seconds < low else "long" if d.seconds > high else "ok"
        pace = "slow" if d.words_per_minute < slow else "fast" if d.words_per_minute > fast else "ok"
        lines.append(
            f"| turn {row.turn} | {d.seconds:.0f} s ({time_note}) | {d.words_per_minute:.0f} ({pace}) | "
            f"{d.fillers} ({d.filler_rate:.0%}) | {d.long_pauses} (longest {d.longest_pause:.1f} s) | "
            f"{'yes' if d.main_point_first else 'no'} |"
        )
        if not d.main_point_first:
            advice.append(f"Turn {row.turn}: open with the risk and the route, then the reasons.")
        if d.filler_rate > limits.filler_rate_high:
            advice.append(f"Turn {row.turn}: pause silently instead of “um”; it sounds surer.")
        if d.long_pauses:
            advice.append(f"Turn {row.turn}: a pause of {d.longest_pause:.1f} s could end your answer on the day.")
        if time_note == "short":
            advice.append(f"Turn {row.turn}: under a minute rarely covers the harm, who is at risk and the route.")
    lines.append("")
    lines += [f"- {a}" for a in advice]
    return "\n".join(lines).rstrip() + "\n"


TASK_NAMES = {
    "rank": "Ranking two responses",
    "grade": "Grading against a supplied rubric",
    "multi_turn": "Finding where the chat should have changed course",
    "citations": "Checking cited references",
    "scope_creep": "Spotting what the AI read beyond its scope",
    "ideal_response": "Writing the ideal response",
}


def tasks_markdown(fb: Feedback) -> str:
    """Whether each task with a right result was done right. Empty when the interview had none.
    Separate from the dimensions: a task's result never changes a score."""
    if not fb.tasks:
        return ""
    lines = ["## The task itself (not part of the scores)", ""]
    for t in fb.tasks:
        mark = "**done right**" if t.right else "**not yet**"
        lines.append(f"**{_clip(t.title, 120)}** — {TASK_NAMES.get(t.kind, t.kind)}: {mark}")
        lines += [f"- {_clip(item, 400)}" for item in t.found]
        lines += [f"- Your words (turn {q.turn}): “{_clip(q.quote)}”" for q in t.evidence[:3]]
        if not t.right:
            lines.append(f"- The right result: {_clip(t.expected, 400)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def to_markdown(fb: Feedback, limits: DeliveryLimits | None = None) -> str:
    """The whole report in Markdown (terminal and download): the scores and evidence, then the
    tasks' own results and the delivery of spoken answers, when there are any."""
    extra = [x for x in (tasks_markdown(fb), delivery_markdown(fb, limits) if limits is not None else "") if x]
    return summary_markdown(fb) + "\n" + details_markdown(fb) + "".join(f"\n{x}" for x in extra)


def _clip(text: str, limit: int = 240) -> str:
    # Quotes of what users (or a model) wrote: one line, cut, and escaped so they render as text.
    return md_inline(text, limit)


def to_json_line(fb: Feedback) -> str:
    """One JSON object on one line (the `--format json` output)."""
    return json.dumps(fb.to_report_json(), ensure_ascii=False, default=str)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:960px;margin:2rem auto;
padding:0 1rem;color:#1f2937;line-height:1.5}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;width:100%;margin:1rem 0}
td,th{border:1px solid #e5e7eb;padding:.4rem .6rem;text-align:left}
.band{display:inline-block;padding:.2rem .7rem;border-radius:999px;font-weight:600}
.strong{background:#dcfce7;color:#166534}.borderline{background:#fef9c3;color:#854d0e}
.needs_work{background:#fee2e2;color:#991b1b}
.bar{display:flex;align-items:center;gap:.5rem}
.bar span.fill{display:inline-block;height:.8rem;background:#2563eb;border-radius:3px}
.met{color:#166534}.unmet{color:#6b7280}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.6rem;border-left:3px solid #93c5fd;color:#374151}
.suggest{background:#eff6ff;border:1px solid #bfdbfe;border-radius:8px;padding:.6rem .8rem;margin:.6rem 0}
.note{color:#6b7280;font-size:.9rem}
svg{max-width:100%;height:auto}
@media (max-width:600px){body{margin:1rem auto}td,th{padding:.3rem}}
"""


def to_html(fb: Feedback, transcript_title: str = "Interview feedback") -> str:
    """A self-contained HTML report (inline CSS, an inline SVG chart, no external resources)."""
    e = html.escape
    band = fb.band.value
    rows = []
    for r in fb.dimensions.values():
        width = round(120 * r.score / max(1, fb.scale_max))
        rows.append(
            f"<tr><td>{e(r.name)}</td><td><div class='bar'><span class='fill' style='width:{width}px'></span>"
            f"<b>{r.score}/{fb.scale_max}</b></div></td><td>{e(', '.join(r.missing) or '—')}</td></tr>"
        )
    sections = []
    for r in fb.dimensions.values():
        items = []
        for c in r.criteria:
            quotes = "".join(f"<blockquote>turn {q.turn}: {e(q.quote)}</blockquote>" for q in c.evidence)
            cls = "met" if c.met else "unmet"
            label = "Met" if c.met else "Not yet"
            name = e(f"({c.name})" if c.name else "")
            items.append(f"<li class='{cls}'>{label} · <b>{c.id}</b> {name} — {e(c.reasoning)}{quotes}</li>")
        suggestion = ""
        if r.suggestion:
            near = (
                f"<blockquote>Your sentence (turn {r.improves.turn}): {e(r.improves.quote)}</blockquote>"
                if r.improves
                else ""
            )
            suggestion = f"<div class='suggest'><b>Say it explicitly:</b> {e(r.suggestion)}{near}</div>"
        sections.append(f"<h2>{e(r.name)} — {r.score}/{fb.scale_max}</h2><ul>{''.join(items)}</ul>{suggestion}")
    if fb.delivery:
        spoken = "".join(
            f"<tr><td>turn {r.turn}</td><td>{r.delivery.seconds:.0f} s</td><td>{r.delivery.words_per_minute:.0f}</td>"
            f"<td>{r.delivery.fillers}</td><td>{r.delivery.long_pauses}</td>"
            f"<td>{'yes' if r.delivery.main_point_first else 'no'}</td></tr>"
            for r in fb.delivery
        )
        sections.append(
            "<h2>Delivery (spoken answers — not part of the scores)</h2><table><tr><th>Answer</th><th>Time</th>"
            "<th>Words/min</th><th>Hesitations</th><th>Long pauses</th><th>Main point first</th></tr>"
            f"{spoken}</table>"
        )
    if fb.disagreements:
        contested = "".join(
            f"<tr><td>{e(d.id)} {e(d.name)}</td><td>{'met' if d.model_met else 'not met'}</td>"
            f"<td>{'met' if d.offline_met else 'not met'}</td></tr>"
            for d in fb.disagreements
        )
        sections.append(
            "<h2>Where the two judges disagree</h2><p class='note'>The scores are the model judge's.</p>"
            f"<table><tr><th>Criterion</th><th>Model judge</th><th>Offline judge</th></tr>{contested}</table>"
        )
    for t in fb.tasks:
        found = "".join(f"<li>{e(item)}</li>" for item in t.found)
        quotes = "".join(f"<blockquote>turn {q.turn}: {e(q.quote)}</blockquote>" for q in t.evidence[:3])
        right = "" if t.right else f"<li>The right result: {e(t.expected)}</li>"
        mark = "done right" if t.right else "not yet"
        sections.append(
            f"<h2>The task itself: {e(t.title)} — {mark}</h2><p class='note'>{e(TASK_NAMES.get(t.kind, t.kind))}"
            f" (not part of the scores)</p><ul>{found}{right}</ul>{quotes}"
        )
    notes = "".join(f"<p class='note'>{e(n)}</p>" for n in fb.notes)
    judge = e(judge_line(fb).replace("**", "").replace("`", ""))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{e(transcript_title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{e(transcript_title)}</h1>"
        f"<p><span class='band {band}'>{BAND_LABEL[band]}</span> mean {_mean(fb):.2f}/{fb.scale_max} "
        f"({e(_meaning(fb))})</p><p>{judge}</p>"
        f"{f'<p class=note>{e(fb.agreement)}</p>' if fb.agreement else ''}{notes}"
        f"{radar_svg(fb.scores, fb.scale_max)}"
        f"<table><tr><th>Dimension</th><th>Score</th><th>Missing</th></tr>{''.join(rows)}</table>"
        f"{''.join(sections)}<p class='note'>Rubric {e(fb.rubric_version)}. Practice feedback, not clinical advice.</p>"
        "</body></html>"
    )


def radar_svg(scores: dict[str, int], scale_max: int = 4, size: int = 320) -> str:
    """An inline SVG radar of the dimension scores, with a dashed line at three quarters of the scale."""
    import math

    dims = list(scores)
    n, top = max(3, len(dims)), max(1, scale_max)
    c = size / 2
    radius = size / 2 - 50

    def point(i: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return c + radius * value / top * math.cos(angle), c + radius * value / top * math.sin(angle)

    def poly(values: list[float], style: str) -> str:
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in enumerate(values)))
        return f"<polygon points='{pts}' {style}/>"

    grid = "".join(poly([lvl * top / 4] * len(dims), "fill='none' stroke='#e5e7eb'") for lvl in (1, 2, 4))
    strong = poly([0.75 * top] * len(dims), "fill='none' stroke='#16a34a' stroke-dasharray='4 3'")
    you = poly([float(scores[d]) for d in dims], "fill='rgba(37,99,235,.25)' stroke='#2563eb' stroke-width='2'")
    labels = []
    for i, d in enumerate(dims):
        x, y = point(i, 1.2 * top)
        labels.append(f"<text x='{x:.0f}' y='{y:.0f}' font-size='12' text-anchor='middle'>{d} {scores[d]}</text>")
    return (
        f"<svg role='img' aria-label='Scores by dimension' width='{size}' height='{size}' viewBox='0 0 {size} {size}'>"
        f"{grid}{strong}{you}{''.join(labels)}</svg>"
    )
