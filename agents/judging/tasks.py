"""Whether the candidate did the task itself right, for the kinds whose task has a right result.

A ranking task has a better response and a decisive reason; a grading task has reference grades; a
multi-turn chat has the message where the AI should have changed course; a citation check has its
invented references; a scope-creep case has what the AI read beyond its scope; an ideal response
has what it must contain (the scenario's key risks). The report shows each result beside the six
dimensions; none of it changes a score. The words read are data (`prompts/analyzer/tasks.yaml`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.domain.feedback import EvidenceQuote, TaskResult
from agents.domain.library import PromptLibrary
from agents.domain.scenarios import CHECKED_KINDS, Scenario, TaskCheck, TaskKind, cue_said
from agents.domain.tasks import TaskWords
from agents.domain.transcript import Role, Transcript
from agents.judging.analyzer import normalise, split_sentences

# Clauses of one sentence can say opposite things ("1 is real, but 2 is made up").
_CLAUSE = re.compile(r"[;,]|\b(?:but|whereas|while|however|although|though)\b")


# A response's label on its own is a capital letter ("B is better"); lower-case "a" is an article.
_LABEL_SPLIT = re.compile(r"(?<![\w])([A-D])(?![\w])")


@dataclass(frozen=True)
class Said:
    """One sentence of an answer: where it is, as written, folded, and folded with labels kept."""

    turn: int  # 1-based, counting every message (as evidence quotes are)
    text: str
    norm: str
    cased: str  # folded, but a capital A-D standing alone stays a capital (a response's label)


def said_in(text: str, turn: int) -> Said:
    """A sentence as the checks read it."""
    pieces = _LABEL_SPLIT.split(text)
    cased = "".join(p if i % 2 else normalise(p, {}) for i, p in enumerate(pieces))
    return Said(turn, text, normalise(text, {}), cased)


def _phrases(words: Sequence[str]) -> str:
    """An alternation of phrases, longest first (so "not met" wins over "met"), as whole phrases."""
    ordered = sorted({w.lower() for w in words}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w) for w in ordered) + ")"


def _whole(pattern: str) -> str:
    return rf"(?<![\w]){pattern}(?![\w])"


class TaskReader:
    """Reads the candidate's answers for the results of the checked kinds."""

    def __init__(self, words: TaskWords) -> None:
        self.words = words
        label = r"(?:(?:response|answer|option|reply)\s+(?=[a-dA-D](?![\w]))|(?=[A-D](?![\w])))([a-dA-D])"
        self._better_after = re.compile(_whole(label) + r"\s+" + _whole(_phrases(words.better_after)))
        self._worse_after = re.compile(_whole(label) + r"\s+" + _whole(_phrases(words.worse_after)))
        demote = _phrases(words.demoting) if words.demoting else "(?!)"
        self._better_before = re.compile(
            _whole(_phrases(words.better_before)) + r"\s+(?:for\s+)?(?:the\s+)?" + _whole(label) + rf"(\s+{demote})?"
        )
        self._over = re.compile(_whole(label) + r"\s+" + _phrases(words.better_between) + r"\s+" + _whole(label))
        grades = _phrases([*words.grade_not_met, *words.grade_met])
        self._grade = re.compile(
            r"\br\s?(\d{1,2})\b[\s:)\].,=\-–—]*(?:(?:is|was|gets|would be|as)\s+)?" + f"({grades})(?![\\w])"
        )
        self._not_met = {w.lower() for w in words.grade_not_met}
        self._fabricated = re.compile(_whole(_phrases(words.fabricated)))
        self._genuine = re.compile(_whole(_phrases(words.genuine)))
        ordinals = _phrases(list(words.ordinals)) if words.ordinals else "(?!)"
        message = _phrases(words.message_words)
        self._reference_number = re.compile(
            r"\[(\d{1,2})\]|\b(?:references?|citations?|refs?|sources?|numbers?|nos?\.?)\s*#?((?:\d{1,2}(?:\s*(?:,|and|&|or)\s*)?)+)"
            + rf"|(?<![\w]){ordinals}\s+(?:reference|citation|source|one)\b"
        )
        self._bare_number = re.compile(
            r"(?<![\w.\[])(\d{1,2})(?![\w.\]])(?!\s*(?:" + "|".join(re.escape(q) for q in words.quantities) + r")\b)"
        )
        who = r"(ai|assistant|chatbot|bot|model|user|patient)(?:'s)?\s+"
        self._message = re.compile(
            rf"(?<![\w]){message}\s*(?:number\s*|no\.?\s*|#\s*)?(\d{{1,2}})\b"
            + rf"|(?<![\w])(?:{who})?({ordinals})\s+(?:{who})?{message}(?![\w])"
        )

    # ----- rank ---------------------------------------------------------------------------------

    def ranking(self, said: Sequence[Said], labels: Sequence[str]) -> tuple[str | None, Said | None, bool]:
        """The label the candidate ranked first, the sentence that says so, and whether a later
        sentence ranked the other one first."""
        picks: list[tuple[str, Said]] = []
        other = {labels[0].lower(): labels[1], labels[1].lower(): labels[0]}
        for s in said:
            found: list[tuple[int, str]] = []  # (where in the sentence, the label it ranks first)
            found += [(m.start(), m.group(1).upper()) for m in self._over.finditer(s.cased)]
            found += [(m.start(), m.group(1).upper()) for m in self._better_after.finditer(s.cased)]
            found += [(m.start(), other.get(m.group(1).lower(), "")) for m in self._worse_after.finditer(s.cased)]
            for m in self._better_before.finditer(s.cased):
                label = m.group(1).lower()
                found.append((m.start(), other.get(label, "") if m.group(2) else label.upper()))
            picks += [(label, s) for _, label in sorted(found) if label in labels]
        if not picks:
            return None, None, False
        first, where = picks[0]
        return first, where, any(p != first for p, _ in picks)

    # ----- grade --------------------------------------------------------------------------------

    def grades(self, said: Sequence[Said], ids: Sequence[str]) -> dict[str, tuple[str, Said]]:
        """Per rubric item the candidate graded: 'met' or 'not_met', and the sentence (first one wins)."""
        known = {i.lower() for i in ids}
        out: dict[str, tuple[str, Said]] = {}
        for s in said:
            for m in self._grade.finditer(s.norm):
                item = f"r{int(m.group(1))}"
                if item in known and item.upper() not in out:
                    out[item.upper()] = ("not_met" if m.group(2) in self._not_met else "met", s)
        return out

    # ----- citations ----------------------------------------------------------------------------

    def _numbers(self, clause: str, cited: set[int]) -> set[int]:
        found: set[int] = set()
        for m in self._reference_number.finditer(clause):
            if m.group(1):
                found.add(int(m.group(1)))
            elif m.group(2):
                found |= {int(n) for n in re.findall(r"\d+", m.group(2))}
            else:
                word = m.group(0).split()[0]
                found.add(self.words.ordinals.get(word, 0))
        if not found:  # "2 and 4 are made up": bare numbers, when they are numbers that were cited
            found = {int(n) for n in self._bare_number.findall(clause)}
        return found & cited

    def citations(self, said: Sequence[Said], cited: set[int]) -> tuple[dict[int, Said], dict[int, Said]]:
        """References the candidate called invented, and those they called real (first word wins)."""
        flagged: dict[int, Said] = {}
        cleared: dict[int, Said] = {}
        for s in said:
            for clause in _CLAUSE.split(s.norm):
                numbers = self._numbers(clause, cited)
                if not numbers:
                    continue
                if self._fabricated.search(clause):
                    for n in numbers:
                        flagged.setdefault(n, s)
                elif self._genuine.search(clause):
                    for n in numbers:
                        cleared.setdefault(n, s)
        return flagged, cleared

    # ----- multi-turn ---------------------------------------------------------------------------

    def messages(self, said: Sequence[Said]) -> list[tuple[int, Said]]:
        """The chat messages the candidate named by number ("message 6", "the sixth reply")."""
        out: list[tuple[int, Said]] = []
        for s in said:
            for m in self._message.finditer(s.norm):
                if m.group(1):
                    out.append((int(m.group(1)), s))
                    continue
                n = self.words.ordinals.get(m.group(3), 0)
                who = m.group(2) or m.group(4)
                # The chat starts with the user: the AI's third reply is its sixth message.
                if who in ("user", "patient"):
                    n = 2 * n - 1
                elif who is not None:
                    n = 2 * n
                if n:
                    out.append((n, s))
        return out


def _said(transcript: Transcript, scenario_id: str) -> list[Said]:
    out: list[Said] = []
    for turn in transcript.turns:
        if turn.role is not Role.CANDIDATE or turn.scenario_id != scenario_id:
            continue
        for start, end in split_sentences(turn.text):
            out.append(said_in(turn.text[start:end], turn.index + 1))
    return out


def _quote(*said: Said | None) -> list[EvidenceQuote]:
    """The sentences as evidence, each once, in order (None for a sentence not found)."""
    out: list[EvidenceQuote] = []
    for s in said:
        if s is not None and not any(q.quote == s.text and q.turn == s.turn for q in out):
            out.append(EvidenceQuote(quote=s.text, turn=s.turn))
    return out


def _result(
    scenario: Scenario, evidence: list[EvidenceQuote], expected: str, found: list[str], right: bool
) -> TaskResult:
    return TaskResult(
        scenario_id=scenario.id,
        kind=scenario.kind.value,
        title=scenario.title,
        evidence=evidence,
        expected=expected,
        found=found,
        right=right,
    )


def _cues_said(cues: Sequence[str], said: Sequence[Said]) -> Said | None:
    return next((s for s in said if any(cue_said(c, s.norm) for c in cues)), None)


def _rank(reader: TaskReader, scenario: Scenario, check: TaskCheck, said: Sequence[Said]) -> TaskResult:
    labels = [r.label for r in scenario.responses]
    choice, where, wavered = reader.ranking(said, labels)
    reason = _cues_said(check.reason_cues, said)
    found = []
    if choice is None:
        found.append(f"Ranking: not stated — say which response is better, e.g. “Response {check.better} is better”.")
    else:
        verdict = "right" if choice == check.better else f"the better one is {check.better}"
        later = " (You later ranked the other first.)" if wavered else ""
        found.append(f"Ranking: you ranked {choice} first — {verdict}.{later}")
    decisive = check.reason or "see the reference answer"
    found.append("Decisive reason: named." if reason is not None else f"Decisive reason: not named — {decisive}.")
    expected = f"{check.better} is better: {check.reason}" if check.reason else f"{check.better} is better"
    return _result(
        scenario, _quote(where, reason), expected, found, choice == check.better and not wavered and reason is not None
    )


def _grade(reader: TaskReader, scenario: Scenario, check: TaskCheck, said: Sequence[Said]) -> TaskResult:
    items = scenario.grading_rubric
    given = reader.grades(said, [g.id for g in items])
    name = {"met": "met", "not_met": "not met"}
    found, agree = [], 0
    for item in items:
        if item.id not in given:
            found.append(f"{item.id}: not graded (reference: {name[item.grade]}).")
            continue
        grade = given[item.id][0]
        agree += grade == item.grade
        mark = "agrees" if grade == item.grade else f"reference: {name[item.grade]}"
        found.append(f"{item.id}: you graded it {name[grade]} — {mark}.")
    found.insert(0, f"Calibration: {agree} of {len(items)} grades agree with the reference grades.")
    expected = ", ".join(f"{g.id} {name[g.grade]}" for g in items)
    return _result(scenario, _quote(*(s for _, s in given.values())), expected, found, agree == len(items))


def _multi_turn(reader: TaskReader, scenario: Scenario, check: TaskCheck, said: Sequence[Said]) -> TaskResult:
    assert check.turn is not None  # the scenario's validator requires it for this kind
    ai, flag = check.turn, check.turn - 1  # the AI message, and the user's message it replied to
    named = reader.messages(said)
    placed = next(((n, s) for n, s in named if n in (flag, ai)), None)
    red_flag = _cues_said(check.turn_cues, said)
    if placed is not None:
        where = f"Where: message {placed[0]} — right (the user's message {flag}, and the AI's reply at {ai})."
    elif named:
        where = f"Where: you named message {named[0][0]}; the AI should have changed course at message {ai}."
    else:
        where = f"Where: no message named — say which one, e.g. “at message {ai} the AI should have…”."
    what = "The late red flag: named." if red_flag is not None else "The late red flag: not named."
    shown = placed[1] if placed is not None else (named[0][1] if named else None)
    expected = f"message {ai}: the AI's reply to the user's message {flag}, where the red flag appears"
    return _result(
        scenario, _quote(shown, red_flag), expected, [where, what], placed is not None and red_flag is not None
    )


def _citations(reader: TaskReader, scenario: Scenario, check: TaskCheck, said: Sequence[Said]) -> TaskResult:
    invented, real = set(check.fabricated), set(check.genuine)
    flagged, cleared = reader.citations(said, invented | real)
    caught = sorted(invented & set(flagged))
    missed = sorted(invented - set(flagged))
    accused = sorted(real & set(flagged))

    def refs(ns: Sequence[int]) -> str:
        return ", ".join(f"[{n}]" for n in ns)

    found = [f"Invented references you flagged: {refs(caught) or 'none'} of {refs(sorted(invented))}."]
    if missed:
        called_real = " (you called them real)." if set(missed) & set(cleared) else "."
        found.append(f"Not flagged: {refs(missed)}{called_real}")
    if accused:
        found.append(f"Flagged but real: {refs(accused)} — check a reference before calling it invented.")
    expected = f"invented: {refs(sorted(invented))}; real: {refs(sorted(real)) or 'none'}"
    return _result(scenario, _quote(*flagged.values()), expected, found, not missed and not accused)


def _scope_creep(reader: TaskReader, scenario: Scenario, check: TaskCheck, said: Sequence[Said]) -> TaskResult:
    named = _cues_said(check.overreach_cues, said)
    found = ["What the AI overreached on: " + ("named." if named is not None else "not named.")]
    return _result(
        scenario, _quote(named), check.overreach or "what the AI read beyond its scope", found, named is not None
    )


def _ideal_response(reader: TaskReader, scenario: Scenario, check: TaskCheck, said: Sequence[Said]) -> TaskResult:
    found: list[str] = []
    where: list[Said | None] = []
    for risk in scenario.key_risks:
        where.append(next((s for s in said if risk.named_in(s.norm)), None))
        found.append(f"{risk.id}: " + ("in your response." if where[-1] is not None else f"missing — {risk.text}"))
    covered = sum(w is not None for w in where)
    found.insert(0, f"Your response contains {covered} of the {len(scenario.key_risks)} things it must.")
    expected = "; ".join(r.text for r in scenario.key_risks)
    return _result(scenario, _quote(*where), expected, found, covered == len(scenario.key_risks))


_CHECKS: dict[TaskKind, Callable[[TaskReader, Scenario, TaskCheck, Sequence[Said]], TaskResult]] = {
    TaskKind.RANK: _rank,
    TaskKind.GRADE: _grade,
    TaskKind.MULTI_TURN: _multi_turn,
    TaskKind.CITATIONS: _citations,
    TaskKind.SCOPE_CREEP: _scope_creep,
    TaskKind.IDEAL_RESPONSE: _ideal_response,
}


_READERS: dict[tuple[Path, str], TaskReader] = {}


def _reader(root: Path, words: TaskWords) -> TaskReader:
    # Compiled once per library and version of the words: feedback is assembled on every judgement.
    key = (root, words.version)
    if key not in _READERS:
        _READERS[key] = TaskReader(words)
    return _READERS[key]


def task_results(transcript: Transcript, library: PromptLibrary) -> list[TaskResult]:
    """One result per scenario of a checked kind the interview asked and the candidate answered."""
    known = {s.id: s for s in [*library.scenarios, *transcript.own_scenarios]}
    reader = _reader(library.root, library.tasks)
    out: list[TaskResult] = []
    for sid in transcript.scenario_ids:
        scenario = known.get(sid)
        if scenario is None or scenario.kind not in CHECKED_KINDS:
            continue
        said = _said(transcript, sid)
        if not said:
            continue
        out.append(_CHECKS[scenario.kind](reader, scenario, scenario.check or TaskCheck(), said))
    return out
