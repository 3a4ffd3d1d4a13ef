"""`coach eval judge`: the judge against labelled transcripts (dataset -> judge -> agreement), with
the human ceiling beside it and metamorphic suites generated from the same data."""

from __future__ import annotations

import argparse
import hashlib
import html
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from agents.config import Mode, Settings
from agents.domain.feedback import Feedback
from agents.domain.library import load_library
from agents.domain.rubric import Direction, Rubric
from agents.domain.transcript import Role, Transcript
from agents.errors import ConfigurationError
from agents.judging.model_judge import LLMJudge
from agents.judging.offline import OfflineJudge, get_analyzer, health_system_of
from evals.agreement import agreement
from evals.dataset import LabelledSample, load_dataset
from evals.paraphrase import Paraphraser
from evals.runner import (
    EvalContext,
    compare_with_baseline,
    default_out_dir,
    html_page,
    print_lines,
    run_bounded,
    svg_bars,
    write_results,
)

METAMORPHIC_DIR = Path(__file__).resolve().parent / "datasets" / "metamorphic"


def _lines(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def verdicts(fb: Feedback) -> dict[str, bool]:
    """Criterion id -> met, from feedback."""
    return {c.id: c.met for d in fb.dimensions.values() for c in d.criteria}


def with_appended(transcript: Transcript, text: str, *, answer: int | None = None) -> Transcript:
    """A copy with `text` appended to one candidate answer (default: the longest)."""
    copy = transcript.model_copy(deep=True)
    candidates = [t for t in copy.turns if t.role is Role.CANDIDATE]
    target = candidates[answer] if answer is not None else max(candidates, key=lambda t: len(t.text))
    target.text = target.text.rstrip() + " " + text
    return copy


def with_restatement(transcript: Transcript) -> Transcript:
    """A copy whose longest answer starts by restating the question it answers."""
    copy = transcript.model_copy(deep=True)
    last_question = ""
    best = None
    for turn in copy.turns:
        if turn.role is Role.INTERVIEWER:
            last_question = turn.text
        elif best is None or len(turn.text) > len(best[0].text):
            best = (turn, last_question)
    if best is None or not best[1].strip():
        return copy
    first_sentence = best[1].strip().split("\n")[0].split(". ")[0].rstrip(".?") + "."
    best[0].text = f"So the question is: {first_sentence} " + best[0].text
    return copy


_SPOKEN_NUMBERS = {"999": "nine nine nine", "911": "nine one one", "111": "one one one", "A&E": "A and E"}
_SENTENCE_START = re.compile(r"(?:(?<=^)|(?<=[.!?] ))(?=[A-Z])")
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])")


def spoken_style(transcript: Transcript) -> Transcript:
    """A copy whose answers read as speech-to-text writes them: services and numbers in words, and
    a filler before every other sentence. It says the same, so it must score the same."""
    copy = transcript.model_copy(deep=True)
    for turn in copy.turns:
        if turn.role is not Role.CANDIDATE:
            continue
        lines = []
        for line in turn.text.split("\n"):
            for typed, said in _SPOKEN_NUMBERS.items():
                line = re.sub(rf"(?<![\w&]){re.escape(typed)}(?![\w&])", said, line)
            if not _LIST_MARK.match(line):
                starts = [m.start() for m in _SENTENCE_START.finditer(line)]
                for k, pos in reversed(list(enumerate(starts))):
                    if k % 2 == 0:
                        line = line[:pos] + "Um, " + line[pos].lower() + line[pos + 1 :]
            lines.append(line)
        turn.text = "\n".join(lines)
    return copy


def with_questions_of(transcript: Transcript, donor: Transcript, min_words: int) -> Transcript:
    """A copy whose every question (a long interviewer message) is replaced by the donor's, in order:
    the same answers, now under questions they were not written for."""
    copy = transcript.model_copy(deep=True)
    theirs = [t.text for t in donor.turns if t.role is Role.INTERVIEWER and len(t.text.split()) >= min_words]
    if not theirs:
        return copy
    k = 0
    for turn in copy.turns:
        if turn.role is Role.INTERVIEWER and len(turn.text.split()) >= min_words:
            turn.text = theirs[k % len(theirs)]
            k += 1
    return copy


@dataclass
class Variant:
    """One metamorphic case: how the transcript was changed and what must happen."""

    sample: str
    kind: str
    detail: str
    transcript: Transcript
    expect_raise: str | None = None  # dimension that must rise; None = nothing may change


def build_variants(
    samples: list[LabelledSample],
    base: dict[str, Feedback],
    explicit: dict[str, str | dict[str, str]],
    setting_of: Callable[[Transcript], str | None] = lambda t: None,
    specific: Callable[[str], set[str]] | None = None,
    min_question_words: int = 30,
) -> list[Variant]:
    """Padding, injection and explicit-sentence variants for every sample. An explicit sentence
    may be given per health system ({uk: ..., us: ...}): the transcript's own is used."""
    injections = _lines(METAMORPHIC_DIR / "injections.txt")
    padding = _lines(METAMORPHIC_DIR / "padding.txt")
    reword = Paraphraser.load()
    variants: list[Variant] = []
    for i, s in enumerate(samples):
        t = s.transcript
        variants.append(Variant(s.id, "padding", "repetition", _repeat_first_sentence(t)))
        variants.append(Variant(s.id, "padding", "restating the question", with_restatement(t)))
        variants.append(Variant(s.id, "spoken", "speech-to-text style", spoken_style(t)))
        variants.append(Variant(s.id, "paraphrase", f"reworded ({reword.version})", reword.transcript(t)))
        if specific is not None and len(samples) > 1:
            # The donor whose questions share the fewest words with this transcript's answers.
            said = specific(" ".join(x.text for x in t.turns if x.role is Role.CANDIDATE))

            def overlap(o: LabelledSample, said: set[str] = said) -> int:
                asked = " ".join(x.text for x in o.transcript.turns if x.role is Role.INTERVIEWER)
                return len(said & specific(asked))

            donor = min((o for o in samples if o.id != s.id), key=overlap)
            moved = with_questions_of(t, donor.transcript, min_question_words)
            variants.append(Variant(s.id, "off_question", f"answers under {donor.id}'s questions", moved))
        variants.append(
            Variant(s.id, "padding", padding[i % len(padding)], with_appended(t, padding[i % len(padding)]))
        )
        for k in range(2):
            text = injections[(2 * i + k) % len(injections)]
            variants.append(Variant(s.id, "injection", text, with_appended(t, text)))
        met = verdicts(base[s.id])
        setting = setting_of(t) or "uk"
        for crit, given in explicit.items():
            sentence = given if isinstance(given, str) else given.get(setting, next(iter(given.values())))
            if not met.get(crit, True):
                dim = s.rubric.dimension_of(crit).id
                variants.append(Variant(s.id, "explicit", crit, with_appended(t, sentence), expect_raise=dim))
    return variants


def _repeat_first_sentence(transcript: Transcript) -> Transcript:
    copy = transcript.model_copy(deep=True)
    for turn in copy.turns:
        if turn.role is Role.CANDIDATE and turn.text.strip():
            first = turn.text.strip().split(". ")[0].rstrip(".") + "."
            turn.text = turn.text.rstrip() + " " + first + " " + first
            break
    return copy


def check_variant(
    v: Variant,
    before: Feedback,
    after: Feedback,
    rubric: Rubric | None,
    content: Collection[str],
) -> tuple[bool, str]:
    """Did the variant behave as required? Returns (passed, explanation).

    A sentence that adds substance may also settle the criteria that wait for it (met unless
    violated, once there is enough to judge): a dimension moved only by those is not a failure.
    `content` holds the criteria an answer to a different question cannot earn (the analyzer's
    off-question criteria)."""
    if v.kind == "off_question":
        kept = [c.id for d in after.dimensions.values() for c in d.criteria if c.id in content and c.met]
        if "off_question" not in after.flags:
            return False, "answers under another transcript's questions were not seen as off the question"
        return (not kept, "content criteria earn nothing" if not kept else f"still credited {kept}")
    gated = _substance_gated(before, after, rubric) if rubric is not None else set()
    changed = {
        d: (before.scores[d], after.scores[d])
        for d in before.scores
        if before.scores[d] != after.scores.get(d) and not (v.expect_raise and d in gated)
    }
    if v.expect_raise is None:
        return (not changed, "no change" if not changed else f"changed {changed}")
    raised = after.scores[v.expect_raise] > before.scores[v.expect_raise]
    if not raised and v.detail in content and "off_question" in after.flags:
        # The added sentences are about chest pain: under answers read as off their question they
        # earn no content credit, which is what the rubric asks (an answer to a different question).
        return not changed, "read as off the question, so the added harm, trigger or route earns nothing"
    others = {d: c for d, c in changed.items() if d != v.expect_raise}
    if raised and not others:
        return True, f"{v.expect_raise} raised"
    if not raised:
        return False, f"{v.expect_raise} did not rise ({before.scores[v.expect_raise]})"
    return False, f"{v.expect_raise} rose but so did {others}"


def _substance_gated(before: Feedback, after: Feedback, rubric: Rubric) -> set[str]:
    """Dimensions moved only by criteria the rubric marks met-unless-violated, each going from
    unmet to met: more substance let them be judged, which the rubric allows."""
    negative = set(rubric.ids_where(direction=Direction.UNLESS_VIOLATED))
    out = set()
    for d, dim in before.dimensions.items():
        later = {c.id: c for c in after.dimensions[d].criteria}
        moved = [c for c in dim.criteria if c.met != later[c.id].met]
        if moved and all(c.id in negative and not c.met for c in moved):
            out.add(d)
    return out


async def run_judge_suite(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    """Run the judge eval and print the headline figures; non-zero exit on thresholds or regressions."""
    library = load_library(settings.coach_prompts_dir)
    if args.judge == "llm" and settings.mode is Mode.OFFLINE:
        raise ConfigurationError(
            "--judge llm needs a model endpoint: set OPENAI_API_KEY/OPENAI_BASE_URL or COACH_MODE=mock"
        )
    ctx = EvalContext(settings, library, use_cache=not args.no_cache)
    samples = load_dataset(args.dataset, library.rubric)
    if getattr(args, "sample", None):
        samples = stratified_sample(samples, args.sample)

    def make_judge(repeat: int) -> Any:
        if args.judge == "llm":
            gateway = ctx.gateway("judge", repeat)
            assert gateway is not None
            return LLMJudge(settings, library, gateway=gateway)
        return OfflineJudge(library)

    judge = make_judge(0)

    async def score(t: Transcript) -> Feedback:
        result: Feedback = await judge.evaluate(t)
        return result

    repeats = max(1, args.repeats)
    runs: list[list[Feedback]] = []
    seconds: list[float] = []
    for r in range(repeats):
        judge = make_judge(r)
        started = time.perf_counter()
        runs.append(
            await run_bounded(
                [s.transcript for s in samples],
                score,
                concurrency=args.concurrency,
                label=f"judging ({r + 1}/{repeats})",
                quiet=args.quiet,
            )
        )
        seconds.append(time.perf_counter() - started)
    judge = make_judge(0)
    first = runs[0]
    predicted = [verdicts(fb) for fb in first]
    lengths = [sum(len(t.text.split()) for t in s.transcript.candidate_turns) for s in samples]
    result = agreement(predicted, [s.labels for s in samples], lengths, rubric=library.rubric)
    with_second = [s for s in samples if s.second]
    ceiling = (
        agreement([s.second for s in with_second if s.second], [s.labels for s in with_second], rubric=library.rubric)
        if with_second
        else None
    )
    flip_rate = None
    if repeats > 1:
        flips = total = 0
        for i in range(len(samples)):
            sets = [verdicts(run[i]) for run in runs]
            for crit in sets[0]:
                total += 1
                flips += len({v[crit] for v in sets}) > 1
        flip_rate = flips / total if total else 0.0
    fallbacks = sum(1 for fb in first if fb.judge_kind.value == "fallback-rule-based")

    meta: dict[str, Any] = {"passed": 0, "total": 0, "by_kind": {}, "failures": []}
    if not args.no_metamorphic:
        raw = yaml.safe_load((METAMORPHIC_DIR / "explicit.yaml").read_text())
        explicit = {str(k): v if isinstance(v, dict) else str(v) for k, v in raw.items()}
        base = {s.id: fb for s, fb in zip(samples, first, strict=True)}
        analyzer = get_analyzer(library)

        def health_system(t: Transcript) -> str | None:
            return health_system_of(t, library)

        variants = build_variants(
            samples, base, explicit, health_system, analyzer.specific_words, analyzer.question_min_words
        )
        after = await run_bounded(
            [v.transcript for v in variants], score, concurrency=args.concurrency, label="metamorphic", quiet=args.quiet
        )
        for v, fb in zip(variants, after, strict=True):
            ok, why = check_variant(v, base[v.sample], fb, library.rubric, analyzer.off_question_criteria)
            kind = meta["by_kind"].setdefault(v.kind, {"passed": 0, "total": 0})
            kind["total"] += 1
            kind["passed"] += ok
            meta["total"] += 1
            meta["passed"] += ok
            if not ok:
                meta["failures"].append({"sample": v.sample, "kind": v.kind, "detail": v.detail[:80], "why": why})
        for kind in meta["by_kind"].values():
            kind["pass_rate"] = round(kind["passed"] / kind["total"], 4) if kind["total"] else None
        meta["pass_rate"] = round(meta["passed"] / meta["total"], 4) if meta["total"] else None

    headline = {
        "mean_qwk": result["mean_qwk"],
        "band_accuracy": result["band_accuracy"],
        "macro_f1": result["macro_f1"],
        "qwk": {d: m["qwk"] for d, m in result["dimensions"].items()},
        "metamorphic_pass_rate": meta.get("pass_rate"),
    }
    run_info = ctx.metadata("judge") | {"dataset": str(args.dataset), "judge": getattr(judge, "name", "offline")}
    full = {
        "run": run_info,
        "headline": headline,
        "agreement": result,
        "ceiling": ceiling,
        "flip_rate": flip_rate,
        "fallbacks": fallbacks,
        # Wall time per transcript of each repeat (a cached repeat takes next to none).
        "seconds_per_transcript": [round(s / max(1, len(samples)), 2) for s in seconds],
        "metamorphic": meta,
        "usage": ctx.usage(),
        "per_sample": [
            {"id": s.id, "archetype": s.archetype, "scores": fb.scores, "labels": s.scores, "band": fb.band.value}
            for s, fb in zip(samples, first, strict=True)
        ],
    }

    lines = _summary_lines(full)
    exit_code = 0
    if args.baseline:
        diff, regressions = compare_with_baseline(headline, args.baseline, args.max_regression)
        lines += [f"Compared with {args.baseline}:", *diff]
        if regressions:
            lines.append(f"REGRESSED beyond {args.max_regression}: {', '.join(regressions)}")
            exit_code = 1
    if args.min_qwk is not None and (result["mean_qwk"] or 0) < args.min_qwk:
        lines.append(f"FAIL: mean QWK {result['mean_qwk']} < --min-qwk {args.min_qwk}")
        exit_code = 1
    if args.min_band_accuracy is not None and result["band_accuracy"] < args.min_band_accuracy:
        lines.append(f"FAIL: band accuracy {result['band_accuracy']} < --min-band-accuracy {args.min_band_accuracy}")
        exit_code = 1
    out_dir = args.out or default_out_dir(settings, "judge")
    json_path, html_path = write_results(out_dir, full, _html(full))
    lines.append(f"Results: {json_path}  Report: {html_path}")
    print_lines(out, lines)
    return exit_code


def stratified_sample(samples: list[LabelledSample], n: int) -> list[LabelledSample]:
    """A fixed sample of `n` transcripts: the labelled bands in turn, each in an order given by a
    hash of the id, so the same set comes back on every run and machine."""
    by_band: dict[str, list[LabelledSample]] = {}
    for s in sorted(samples, key=lambda s: hashlib.sha256(s.id.encode()).hexdigest()):
        by_band.setdefault(s.band.value, []).append(s)
    chosen: list[LabelledSample] = []
    while len(chosen) < min(n, len(samples)):
        for band in sorted(by_band):
            if by_band[band] and len(chosen) < n:
                chosen.append(by_band[band].pop(0))
    return sorted(chosen, key=lambda s: s.id)


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "  n/a" if x is None else format(x, spec)


def _summary_lines(full: dict[str, Any]) -> list[str]:
    a, c, run, usage = full["agreement"], full["ceiling"], full["run"], full["usage"]
    lines = [
        f"Judge eval — judge {run['judge']} on {a['n']} transcripts ({run['dataset']})",
        f"rubric {run['rubric_version']}, analyzer {run['prompt_versions']['analyzer']}, commit {run['git_commit']}",
        "",
        f"{'dimension':<12} {'QWK':>6} {'ceiling':>8} {'spearman':>9} {'exact':>6} {'±1':>6} {'bias':>6}",
    ]
    for d, m in a["dimensions"].items():
        ceil = c["dimensions"][d]["qwk"] if c else None
        lines.append(
            f"{d:<12} {_fmt(m['qwk']):>6} {_fmt(ceil):>8} {_fmt(m['spearman']):>9} {_fmt(m['exact'], '.2f'):>6} "
            f"{_fmt(m['within_one'], '.2f'):>6} {_fmt(m['bias'], '+.2f'):>6}"
        )
    lines.append(
        f"{'mean':<12} {_fmt(a['mean_qwk']):>6} {_fmt(c['mean_qwk'] if c else None):>8}"
        f"   band accuracy {a['band_accuracy']:.2f} (ceiling {_fmt(c['band_accuracy'] if c else None, '.2f')}),"
        f" macro-F1 {a['macro_f1']:.3f}"
    )
    if a.get("mean_qwk_ci") and a.get("band_accuracy_ci"):
        (q1, q2), (b1, b2) = a["mean_qwk_ci"], a["band_accuracy_ci"]
        lines.append(f"95% bootstrap intervals: mean QWK {q1:.3f}–{q2:.3f}, band accuracy {b1:.2f}–{b2:.2f}")
    lines.append(f"answer length vs total score correlation: {_fmt(a.get('length_score_correlation'))}")
    if full["flip_rate"] is not None:
        lines.append(f"verdict flip rate across repeats: {full['flip_rate']:.4f}")
    if full.get("seconds_per_transcript"):
        lines.append(
            "seconds per transcript, each repeat: " + ", ".join(f"{s:.1f}" for s in full["seconds_per_transcript"])
        )
    weakest = sorted(a["criteria"].items(), key=lambda kv: kv[1]["macro_f1"] or 0)[:5]
    lines.append("weakest criteria (macro-F1): " + ", ".join(f"{k} {v['macro_f1']:.2f}" for k, v in weakest))
    conf = a["band_confusion"]
    lines.append("band confusion (rows = labels, cols = judge: strong/borderline/needs_work):")
    for ref, row in conf.items():
        lines.append(f"  {ref:<11} " + " ".join(f"{row[p]:>4}" for p in ("strong", "borderline", "needs_work")))
    m = full["metamorphic"]
    if m["total"]:
        kinds = ", ".join(f"{k} {v['passed']}/{v['total']} ({v['pass_rate']:.0%})" for k, v in m["by_kind"].items())
        lines.append(f"metamorphic: {m['passed']}/{m['total']} passed ({m['pass_rate']:.1%}) — {kinds}")
        for f in m["failures"][:10]:
            lines.append(f"  failed: {f['sample']} {f['kind']} [{f['detail']}] {f['why']}")
        if len(m["failures"]) > 10:
            lines.append(f"  … {len(m['failures']) - 10} more in results.json")
    lines.append(
        f"model calls {usage['model_calls']}, cache hits {usage['cache_hits']}, tokens "
        f"{usage['prompt_tokens']}+{usage['completion_tokens']}, est. cost ${usage['estimated_cost_usd']:.4f}, "
        f"fallbacks {full['fallbacks']}"
    )
    return lines


def _html(full: dict[str, Any]) -> str:
    a, c = full["agreement"], full["ceiling"]
    rows = "".join(
        f"<tr><td>{d}</td><td>{_fmt(a['dimensions'][d]['qwk'])}</td>"
        f"<td>{_fmt(c['dimensions'][d]['qwk'] if c else None)}</td><td>{_fmt(a['dimensions'][d]['spearman'])}</td>"
        f"<td>{_fmt(a['dimensions'][d]['exact'], '.2f')}</td><td>{_fmt(a['dimensions'][d]['within_one'], '.2f')}</td>"
        f"<td>{_fmt(a['dimensions'][d]['bias'], '+.2f')}</td></tr>"
        for d in a["dimensions"]
    )
    crit_rows = "".join(
        f"<tr><td>{k}</td><td>{_fmt(v['precision'], '.2f')}</td><td>{_fmt(v['recall'], '.2f')}</td>"
        f"<td>{_fmt(v['f1'], '.2f')}</td><td>{_fmt(v['macro_f1'], '.2f')}</td><td>{v['support']}</td></tr>"
        for k, v in a["criteria"].items()
    )
    chart = svg_bars(
        "Quadratic weighted kappa by dimension",
        {
            "judge": {d: m["qwk"] for d, m in a["dimensions"].items()},
            **({"human ceiling": {d: m["qwk"] for d, m in c["dimensions"].items()}} if c else {}),
        },
    )
    m = full["metamorphic"]
    meta_rows = "".join(
        f"<tr><td>{k}</td><td>{v['passed']}</td><td>{v['total']}</td><td>{_fmt(v['pass_rate'], '.1%')}</td></tr>"
        for k, v in m["by_kind"].items()
    )
    fails = "".join(
        f"<li>{html.escape(f['sample'])} — {html.escape(f['kind'])} [{html.escape(f['detail'])}]: "
        f"{html.escape(f['why'])}</li>"
        for f in m["failures"][:50]
    )
    run = full["run"]
    body = (
        f"<p>Judge <code>{html.escape(str(run['judge']))}</code> on {a['n']} transcripts; rubric "
        f"{run['rubric_version']}; commit {run['git_commit']}; {run['created_at']}</p>"
        f"<p><b>Mean QWK {_fmt(a['mean_qwk'])}</b> (human ceiling {_fmt(c['mean_qwk'] if c else None)}), "
        f"band accuracy {a['band_accuracy']:.2f}, macro-F1 {a['macro_f1']:.3f}</p>{chart}"
        "<h2>Per dimension</h2><table><tr><th>dimension</th><th>QWK</th><th>ceiling</th><th>Spearman</th>"
        f"<th>exact</th><th>±1</th><th>bias</th></tr>{rows}</table>"
        "<h2>Per criterion</h2><table><tr><th>criterion</th><th>precision</th><th>recall</th><th>F1</th>"
        f"<th>macro-F1</th><th>support</th></tr>{crit_rows}</table>"
        f"<h2>Metamorphic suites</h2><table><tr><th>kind</th><th>passed</th><th>total</th><th>rate</th></tr>"
        f"{meta_rows}</table><ul>{fails}</ul>"
    )
    return html_page("Judge evaluation", body)
