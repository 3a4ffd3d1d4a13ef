"""The word keys in front of the analyzer's phrase lists only ever rule out lists that cannot
match: checked on text generated from every entry, and on whole analyses of the labelled sets."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.domain.library import PromptLibrary
from agents.judging.analyzer import Analyzer
from agents.judging.offline import OfflineJudge, answers_of, get_analyzer
from agents.judging.phrase_keys import KeyIndex, list_keys, literal_starts
from evals.dataset import DEFAULT_DATASET, load_dataset


def _lists(library: PromptLibrary) -> dict[str, list[str]]:
    raw = library.lexicon
    lists = {k: v for k, v in raw["lexicons"].items() if k != "action_polarity" and isinstance(v, list)}
    return lists | {f"filters.{k}": v for k, v in raw["filters"].items() if isinstance(v, list)}


@st.composite
def _text_with_an_entry(draw: st.DrawFn, lists: dict[str, list[str]]) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(lists)))
    entry = draw(st.sampled_from(lists[name]))
    core = draw(st.from_regex(entry[3:])) if entry.startswith("re:") else entry.lower()
    filler = st.sampled_from(["", " ", "the ", "x", "-", "(", ". ", "and then ", "9", "\n", "'"])
    return name, draw(filler) + core + draw(filler)


def test_keys_never_rule_out_a_list_that_matches(library: PromptLibrary) -> None:
    analyzer = get_analyzer(library)
    lists = _lists(library)
    patterns = {**analyzer.lex.patterns, **{f"filters.{k}": v for k, v in analyzer.filters.items()}}
    checked = {"matched": 0}

    @settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(_text_with_an_entry(lists))
    def check(case: tuple[str, str]) -> None:
        name, text = case
        keyed, _ = analyzer.keys.parts[name]
        if keyed is not None and keyed.search(text):
            assert analyzer.keys.index.may_match(name, text), (name, text)
        matched = patterns[name].search(text) is not None
        checked["matched"] += matched
        assert analyzer.keys.found(name, text) == matched, (name, text)

    check()
    assert checked["matched"] > 500, "the generated texts exercise matches"


def test_analyses_are_the_same_with_and_without_keys(library: PromptLibrary, monkeypatch: pytest.MonkeyPatch) -> None:
    judge = OfflineJudge(library)
    transcripts = [s.transcript for s in load_dataset(DEFAULT_DATASET)]
    transcripts += [s.transcript for s in load_dataset(DEFAULT_DATASET.parent / "judge_holdout_v1")]

    def summary(analyzer: Analyzer) -> list[object]:
        out: list[object] = []
        for t in transcripts:
            analysis = analyzer.analyze_answers(answers_of(t))
            out.append(
                (
                    {c: (f.met, f.reason, [s.text for s in f.evidence]) for c, f in analysis.findings.items()},
                    [dataclasses.astuple(s) for s in analysis.sentences],
                    analysis.flags,
                    {c: getattr(analysis.near_miss(c), "text", None) for c in analysis.findings},
                )
            )
        return out

    keyed = summary(judge.analyzer)

    class Slow(Analyzer):
        """Every rule tried on every sentence, written out apart from the fast path's skip logic,
        so a broken skip cannot be measured against itself."""

        def _matches(self, rules: list[Any], norm: str) -> bool:
            return any(all(self.lex._hit(name, norm) for name in rule.names) for rule in rules)

    plain = Slow(library.lexicon, library.rubric)
    monkeypatch.setattr(plain.keys.index, "may_match", lambda name, text: True)
    assert summary(plain) == keyed
    ruled_out = sum(
        not judge.analyzer.keys.index.may_match(name, s[5])
        for name in judge.analyzer.keys.index.bits
        for r in keyed
        for s in r[1]
    )
    assert ruled_out > 0, "the keys rule lists out in practice"


def test_keys_of_entries() -> None:
    common = frozenset({"the", "a"})
    assert literal_starts(r"\b(lets|let) (that|it) run") == {"lets ", "let "}
    assert list_keys(["re:\\bharm\\w*", "call 999"], common) == {"harm", "call$"}
    assert list_keys(["the ai should"], common) == {"the ai$"}
    assert list_keys(["re:(the )?patients? (who|with)"], common) == {
        "the patients$",
        "the patient$",
        "patients$",
        "patient$",
    }
    assert list_keys(["re:[:]"], common) is None  # a common character rules nothing out
    assert list_keys(["re:(?<=\\d)mg"], common) is None  # may start inside a word
    index = KeyIndex({"harm": ["re:\\bharm\\w*"], "ai": ["the ai should"]}, common)
    assert index.may_match("harm", "this could be harmful") and not index.may_match("harm", "pharmacy")
    assert index.may_match("ai", "so the ai should stop") and not index.may_match("ai", "the model should stop")
