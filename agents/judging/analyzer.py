"""The explicitness analyzer: finds which of the rubric's criteria a candidate states explicitly,
with the sentences that show it.

It is the offline judge and the offline interviewer's probe chooser. All patterns come from
`prompts/analyzer/lexicon.yaml`; this module only holds the logic that combines them. Text aimed
at the grader, flattery, restating the question and repetition are set aside before anything is
credited, so none of them can move a score.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from agents.domain.rubric import Direction, Rubric
from agents.errors import DataError
from agents.judging.phrase_keys import DIGIT, WORD_START, KeyIndex, literal_starts
from agents.security.obfuscation import (
    foreign_script_share,
    hidden_readings,
    remove_encoded,
    rot13,
    spaced_letters,
    strip_invisible,
)

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
# A sentence ends before a capital, a digit or a symbol; not before a lower-case letter, Latin or a
# look-alike from another alphabet (so a Cyrillic "о" cannot cut a disguised word in two).
_LOWER_LOOKING = "a-z\u0250-\u02af\u0370-\u03ff\u0400-\u04ff\u0530-\u058f\u1d00-\u1d7f"
_SENTENCE_END = re.compile(rf"(?<=[.!?])[\"')\]]*\s+(?=[^{_LOWER_LOOKING}])|\n+")
# A numbered list said aloud comes back from speech to text as "One. The harm ... Two. Why ...":
# number words mark list items as digits do.
_NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight)"
_LIST_ITEM = re.compile(
    r"^\s*(?:\d{1,2}[.)]|[-*•·▪–]|\(?[a-hA-H]\)|[ivxIVX]{1,4}[.)]|(?:step|criterion) \d+[:.)-]?|"
    + _NUMBER_WORD
    + r"[.:](?=\s))\s*\S",
    re.I,
)
_MARKER_ONLY = re.compile(r"\s*(?:\d{1,2}|[a-hA-H]|[ivxIVX]{1,4}|" + _NUMBER_WORD + r")[.)]", re.I)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_MARKING_WORDS = re.compile(
    r"\b(marks?|marking|scores?|scoring|rubric|criteri\w*|grader|grading|evaluator|judge|band|dimensions?)\b"
)
_QUOTED = re.compile(r"(?<![a-z0-9])'(?=[^'\s])[^']{3,}?(?<=[^\s'])'(?![a-z0-9])|\"[^\"]{3,}?\"")
_STOPWORDS = frozenset(
    """
    a an the and or but if of to in on for with is are was were be been it this that these those i you he she they we
    what how why when which who should would could can do does did your my as at by from so not no
    yes its it's there their them his her our us me
    """.split()
)


# Criteria decided over the whole transcript rather than by a single sentence.
TRANSCRIPT_CRITERIA = ("J1", "J4", "U4", "C1", "C2", "C3", "C4", "F2", "F3", "F4")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a candidate answer, with where it sits in the original text."""

    turn: int
    answer_no: int
    start: int
    end: int
    text: str
    norm: str
    excluded: str | None = None


@dataclass
class Finding:
    """Whether a criterion is met, why, and the candidate's own words that show it."""

    criterion: str
    met: bool
    reason: str
    evidence: list[Sentence] = field(default_factory=list)


@dataclass
class Analysis:
    """Everything the analyzer found in one transcript."""

    findings: dict[str, Finding]
    sentences: list[Sentence]
    flags: list[str]
    answers: int
    setting: str | None = None  # the candidate's health system, when known or read from the questions

    @property
    def injection_sentences(self) -> list[Sentence]:
        """Sentences set aside as addressed to the grader."""
        return [s for s in self.sentences if s.excluded in ("injection", "meta_claim")]

    def near_miss(self, criterion: str) -> Sentence | None:
        """A sentence that nearly meets `criterion` (for placing a rewrite), if it is one the
        analysis looks for. Found on first asking: feedback asks for only a few criteria."""
        if criterion not in self._near:
            find = self._find_near if criterion in self._near_wanted else None
            self._near[criterion] = find(criterion) if find is not None else None
        return self._near[criterion]

    _near: dict[str, Sentence | None] = field(default_factory=dict)
    _near_wanted: frozenset[str] = frozenset()
    _find_near: Callable[[str], Sentence | None] | None = None


class _Rule(NamedTuple):
    """Phrase lists that must all occur in one sentence, and the key bits those lists need."""

    names: tuple[str, ...]
    needs: int


class KeyedLists:
    """Every phrase list as two regexes, its keyed entries and the rest, behind one `KeyIndex`:
    `found` answers whether a list occurs in a text, running only the regexes that could match."""

    def __init__(self, lists: dict[str, list[str]], common_words: frozenset[str]) -> None:
        self.index = KeyIndex(lists, common_words)
        self.parts: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {}
        for name, entries in lists.items():
            rest = self.index.unkeyed[name]
            keyed = [e for e in entries if e not in rest]
            self.parts[name] = (
                _compile(keyed, name) if keyed else None,
                _compile(rest, name) if rest else None,
            )

    def found(self, name: str, text: str) -> bool:
        """Whether phrase list `name` occurs in `text`."""
        keyed, rest = self.parts[name]
        if keyed is not None and self.index.may_match(name, text) and keyed.search(text):
            return True
        return rest is not None and rest.search(text) is not None

    def clear(self) -> None:
        """Forget what was worked out per text (for measuring cold speed)."""
        self.index.clear()


class _Lexicon:
    """Named phrase lists compiled once into one regex each."""

    def __init__(self, raw: dict[str, Any], keys: KeyedLists) -> None:
        self.keys = keys
        self.patterns: dict[str, re.Pattern[str]] = {}
        for name, entries in raw.items():
            if name == "action_polarity":
                continue
            if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
                raise DataError(f"analyzer lexicon {name!r}: expected a list of strings")
            self.patterns[name] = _compile(entries, name)
        polarity = raw.get("action_polarity", {})
        self.actions = {k: _compile([v], f"action_polarity.{k}") for k, v in polarity.items()}

    def __getitem__(self, name: str) -> re.Pattern[str]:
        try:
            return self.patterns[name]
        except KeyError as exc:
            raise DataError(f"analyzer rules name an unknown phrase list {name!r}") from exc

    def hit(self, name: str, text: str) -> bool:
        """Whether phrase list `name` occurs in (normalised) text. Cached: rules ask the same
        question of a sentence many times, and eval variants repeat whole sentences."""
        return self._hit(name, text)

    @lru_cache(maxsize=262_144)  # noqa: B019 - one _Lexicon per analyzer, kept for the process
    def _hit(self, name: str, text: str) -> bool:
        return self.keys.found(name, text)


def _compile(entries: Iterable[str], name: str) -> re.Pattern[str]:
    """One regex for a phrase list. Entries that begin with a word are tried only at word starts,
    which lets the engine skip most positions (several times faster on long alternations)."""
    at_word: list[str] = []
    anywhere: list[str] = []
    for entry in entries:
        if entry.startswith("re:"):
            body = entry[3:]
            try:
                re.compile(body)
            except re.error as exc:
                raise DataError(f"analyzer lexicon {name!r}: bad regex {body!r} ({exc})") from exc
            (at_word if WORD_START.match(body) else anywhere).append(f"(?:{body})")
        else:
            at_word.append(f"(?<!-){re.escape(entry.lower())}(?![\\w-])")
    parts = []
    if at_word:
        parts.append(r"(?<!\w)(?:" + "|".join(_bucketed(at_word)) + ")")
    parts.extend(anywhere)
    return re.compile("|".join(parts) or r"(?!x)x", re.M)


def _bucketed(branches: list[str]) -> list[str]:
    """Group alternatives by the characters they can start with, behind a one-character lookahead.

    Python's regex engine otherwise tries every alternative at every word start; with the
    lookahead it tries only those that can begin with the character it is looking at.
    """
    buckets: dict[str, list[str]] = {}
    unknown: list[str] = []
    for branch in branches:
        first = _first_chars(branch)
        if first is None or len(first) > 12:
            unknown.append(branch)
            continue
        for ch in first:
            buckets.setdefault(ch, []).append(branch)
    grouped = [f"(?={re.escape(ch)})(?:{'|'.join(bs)})" for ch, bs in sorted(buckets.items())]
    return grouped + unknown


def _first_chars(pattern: str) -> set[str] | None:
    """The characters a match of `pattern` can start with, or None if that cannot be told."""
    starts = literal_starts(pattern)
    if not starts or not all(starts) or any(s.startswith(DIGIT) for s in starts):
        return None  # an empty start, or "any digit", names no single first character
    return {s[0] for s in starts}


def normalise(text: str, confusables: dict[str, str]) -> str:
    """Fold text for matching: NFKC, drop invisible characters, map look-alike letters, lower-case."""
    return fold(text, _translation(tuple(sorted(confusables.items()))) if confusables else None)


def fold(text: str, confusables: dict[int, str] | None) -> str:
    """`normalise`, given the look-alike table already built (the analyzer builds it once)."""
    out = strip_invisible(unicodedata.normalize("NFKC", text)).translate(_QUOTES).lower()
    if out.isascii():
        return out
    # Lower-cased first, so one table entry covers both cases ("İ" lowers to "i" + a dot above).
    out = out.replace("\u0307", "")
    return out.translate(confusables) if confusables else out


@lru_cache(maxsize=8)
def _translation(pairs: tuple[tuple[str, str], ...]) -> dict[int, str]:
    return {ord(k): v for k, v in pairs if len(k) == 1}


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of sentences and list items in `text` (offsets into the original string)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end <= start:
            continue
        # "1. Not diagnose..." splits after "1.": a list marker alone belongs to the item after it.
        if out and _MARKER_ONLY.fullmatch(text[out[-1][0] : out[-1][1]]):
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _word_count(norm: str) -> int:
    """Words in a sentence, a contraction counting as the two words it stands for ("wouldn't" as
    "would not"), so writing it out never decides whether an answer is substantive."""
    return len(_WORD.findall(norm)) + norm.count("n't")


def _content_words(norm: str) -> list[str]:
    return [w for w in _WORD.findall(norm) if w not in _STOPWORDS and len(w) > 2]


class Analyzer:
    """Rule-based detector of the rubric's criteria. Build once per lexicon; `analyze` is pure.

    A criterion is decided by `sentence_rules` (met when one sentence matches) or, for a criterion
    the rubric marks met-unless-violated, by `violation_rules` (met once enough substantive answers
    are given and no sentence matches); the criteria in TRANSCRIPT_CRITERIA have logic of their own.
    """

    def __init__(self, lexicon: dict[str, Any], rubric: Rubric) -> None:
        self.version = str(lexicon["version"])
        self.rubric = rubric
        self.confusables = {str(k): str(v) for k, v in (lexicon.get("confusables") or {}).items()}
        self._fold = _translation(tuple(sorted(self.confusables.items()))) if self.confusables else None
        lexicons = lexicon.get("lexicons") or {}
        filters = lexicon.get("filters") or {}
        lists = {k: v for k, v in lexicons.items() if k != "action_polarity" and isinstance(v, list)}
        lists |= {f"filters.{k}": v for k, v in filters.items() if isinstance(v, list)}
        # Built once over every list: which lists a sentence could match, from its words alone.
        self.keys = KeyedLists(lists, _STOPWORDS)
        self.lex = _Lexicon(lexicons, self.keys)
        self.filters = {k: _compile(v, f"filters.{k}") for k, v in filters.items() if isinstance(v, list)}
        # Lists whose presence makes a sentence specific, so that jargon around it still counts.
        self.concrete_lists = [str(n) for n in lexicon.get("concrete_lists") or []]
        for required in ("injection_strong", "meta_claim", "injection_weak", "rubric_writing", "padding", "concealed"):
            if required not in self.filters:
                raise DataError(f"analyzer lexicon: filters.{required} is missing")
        self.restatement_overlap = float(filters.get("restatement_overlap", 0.7))
        self.restatement_min_words = int(filters.get("restatement_min_words", 5))
        self.thresholds: dict[str, float] = {k: float(v) for k, v in (lexicon.get("thresholds") or {}).items()}
        self.sentence_rules = self._rules(lexicon.get("sentence_rules") or {}, "sentence_rules")
        self.near_rules = self._rules(lexicon.get("near_miss") or {}, "near_miss")
        self.violation_rules = self._rules(lexicon.get("violation_rules") or {}, "violation_rules")
        # Lists whose presence makes a sentence part of the answer's substance.
        self.content_lists = [str(n) for n in lexicon.get("content_lists") or []]
        for name in self.content_lists:
            self.lex[name]  # fail early on a misspelt name
        not_negative = [
            c
            for c in self.violation_rules
            if c in rubric.criterion_ids and rubric.criterion(c).direction is not Direction.UNLESS_VIOLATED
        ]
        if not_negative:
            raise DataError(
                f"analyzer lexicon violation_rules: {not_negative} are not met-unless-violated in the rubric"
            )
        self.probe_priority: list[str] = list(lexicon.get("probe_priority") or [])
        spoken = lexicon.get("spoken") or {}
        self._spoken_words = {str(k).lower(): str(v) for k, v in (spoken.get("replace") or {}).items()}
        self._spoken = (
            re.compile(
                r"\b(" + "|".join(re.escape(k) for k in sorted(self._spoken_words, key=len, reverse=True)) + r")\b"
            )
            if self._spoken_words
            else None
        )
        fillers = [str(f).lower() for f in spoken.get("fillers") or []]
        self._fillers = (
            re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in fillers) + r")(?![\w-])[,.]?\s*")
            if fillers
            else None
        )
        off = lexicon.get("off_question") or {}
        self.off_question_criteria = frozenset(str(c) for c in off.get("criteria") or [])
        self.off_question_min_words = int(off.get("min_answer_words", 12))
        self.question_min_words = int(off.get("min_question_words", 30))
        # How little of an answer's own vocabulary may come from its question before the answer is
        # read as written for another one: at most `max_shared` words and under `max_share` of them.
        # Once most of an interview's answers miss their questions, the rest are held to the
        # looser pair (answers pasted from another interview share a word or two by chance).
        self.off_question_bounds = (int(off.get("max_shared", 0)), float(off.get("max_share", 1.0)))
        self.off_question_loose = (
            int(off.get("loose_max_shared", self.off_question_bounds[0])),
            float(off.get("loose_max_share", self.off_question_bounds[1])),
        )
        # Words any answer to any question may use: the rubric's own (its texts, probes and advice).
        rubric_text = " ".join(
            f"{d.name} {c.name} {c.text} {c.probe} {c.suggestion}" for d in rubric.dimensions for c in d.criteria
        )
        self.generic_words = frozenset(_content_words(fold(rubric_text, None)))
        routes = lexicon.get("setting_routes") or {}
        self.setting_criteria = frozenset(str(c) for c in routes.get("criteria") or [])
        self.foreign_routes = {
            str(k): _compile(v, f"setting_routes.foreign.{k}") for k, v in (routes.get("foreign") or {}).items()
        }
        self.setting_markers = {
            str(k): _compile(v, f"setting_routes.markers.{k}") for k, v in (routes.get("markers") or {}).items()
        }
        self.answer_rules: dict[str, tuple[re.Pattern[str], list[_Rule]]] = {}
        for crit, spec in (lexicon.get("answer_to_question") or {}).items():
            if not isinstance(spec, dict) or "question" not in spec or "answer" not in spec:
                raise DataError(f"analyzer lexicon answer_to_question.{crit}: needs 'question' and 'answer'")
            question = _compile([str(spec["question"])], f"answer_to_question.{crit}")
            self.answer_rules[str(crit)] = (question, self._rules({crit: spec["answer"]}, "answer_to_question")[crit])
        known = set(rubric.criterion_ids)
        unknown = [
            c
            for c in [
                *self.off_question_criteria,
                *self.sentence_rules,
                *self.near_rules,
                *self.probe_priority,
                *self.answer_rules,
                *self.violation_rules,
                *self.setting_criteria,
            ]
            if c not in known
        ]
        if unknown:
            raise DataError(f"analyzer lexicon names unknown criteria {unknown}")

    def _rules(self, raw: dict[str, Any], where: str) -> dict[str, list[_Rule]]:
        rules: dict[str, list[_Rule]] = {}
        for crit, alternatives in raw.items():
            if not isinstance(alternatives, list) or not all(isinstance(r, list) for r in alternatives):
                raise DataError(f"analyzer lexicon {where}.{crit}: expected a list of lists of names")
            for rule in alternatives:
                for name in rule:
                    self.lex[name]  # fail early on a misspelt name
            rules[str(crit)] = [self._rule([str(n) for n in r]) for r in alternatives]
        return rules

    def _rule(self, names: list[str]) -> _Rule:
        # The lists whose every entry is keyed can occur only in a sentence offering their keys.
        needs = 0
        for name in names:
            if self.keys.parts[name][1] is None:
                needs |= 1 << self.keys.index.bits[name]
        return _Rule(tuple(names), needs)

    def _t(self, key: str, default: float) -> float:
        return self.thresholds.get(key, default)

    # ----- sentence preparation -------------------------------------------------------------

    def sentences(self, answers: Sequence[tuple[int, str, str, str]]) -> tuple[list[Sentence], list[str]]:
        """Split answers into sentences and mark the ones that earn nothing.

        `answers` holds (turn index, answer text, interviewer text so far, the question just asked)
        per candidate turn.
        """
        out: list[Sentence] = []
        flags: list[str] = []
        seen: set[str] = set()
        asked_words: set[str] = set()
        asked_before = ""
        for answer_no, (turn, text, asked, _last) in enumerate(answers):
            # What the interviewer said so far grows answer by answer: fold only what is new.
            if not asked.startswith(asked_before):
                asked_words, asked_before = set(), ""
            asked_words = asked_words | set(_content_words(fold(asked[len(asked_before) :], self._fold)))
            asked_before = asked
            after_injection = False
            for start, end in split_sentences(text):
                raw = text[start:end]
                cleaned, decoded = remove_encoded(raw)
                norm = self.unspoken(fold(cleaned, self._fold))
                if decoded and "injection" not in flags:
                    flags.append("injection")  # encoded text is cut out; the rest of the sentence counts
                reason = self._exclusion(norm, asked_words, after_injection)
                if reason in ("injection", "meta_claim"):
                    after_injection = True
                    if "injection" not in flags:
                        flags.append("injection")
                elif reason == "jargon" and "jargon" not in flags:
                    flags.append("jargon")
                elif reason is None:
                    key = " ".join(_WORD.findall(norm))
                    if key in seen:
                        reason = "repeat"
                    seen.add(key)
                out.append(Sentence(turn, answer_no, start, end, raw, norm, reason))
        return out, flags

    def _filtered(self, name: str, norm: str) -> bool:
        return self.keys.found(f"filters.{name}", norm)

    def _grader_directed(self, norm: str) -> str | None:
        # Words in quotation marks are someone else's (the AI's reply, the user's message) under
        # discussion, not an instruction; outside the quotes the sentence is checked as usual.
        # Quoted words about marking are still an instruction to the marker, whoever is quoted.
        norm = _QUOTED.sub(lambda m: m.group(0) if _MARKING_WORDS.search(m.group(0)) else " 'quote' ", norm)
        if self._filtered("injection_strong", norm):
            return "injection"
        if self._filtered("meta_claim", norm):
            return "meta_claim"
        if self._filtered("injection_weak", norm) and not self._filtered("rubric_writing", norm):
            return "injection"
        return None

    def _exclusion(self, norm: str, asked_words: set[str], after_injection: bool) -> str | None:
        found = self._grader_directed(norm)
        if found is not None:
            return found
        # What the sentence says once spaced letters, leetspeak and encodings are read out.
        for reading in hidden_readings(norm):
            if self._grader_directed(reading) is not None:
                return "injection"
        letters = spaced_letters(norm)
        if letters and self.filters["concealed"].search(letters):
            return "injection"
        turned = rot13(norm)
        if self._filtered("injection_strong", turned) or self._filtered("meta_claim", turned):
            return "injection"
        if not norm.isascii() and foreign_script_share(norm) >= 0.5:
            return "foreign"  # not an answer in English: earns nothing, but is not an attack
        if after_injection and re.search(r"\b(score|scores|marks?|grade|rating|points|criteria|rubric)\b", norm):
            return "injection"
        if self._filtered("padding", norm):
            return "padding"
        if self._jargon_only(norm):
            return "jargon"
        words = _content_words(norm)
        if len(words) >= self.restatement_min_words and asked_words:
            overlap = sum(1 for w in words if w in asked_words) / len(words)
            if overlap >= self.restatement_overlap:
                return "restatement"
        if not words:
            return "empty"
        return None

    def _jargon_only(self, norm: str) -> bool:
        """A sentence of rubric-sounding words with nothing specific in it ("escalate
        appropriately, safety-net robustly, signpost to relevant services"): it says what a good
        answer would be about without saying any of it, so it earns nothing."""
        jargon = self.filters.get("jargon")
        if jargon is None:
            return False
        terms = {m.group(0) for m in jargon.finditer(norm)}
        if len(terms) < self._t("jargon_min_terms", 3):
            return False
        return not any(self.lex.hit(name, norm) for name in self.concrete_lists) and not re.search(r"\d", norm)

    # ----- criteria -------------------------------------------------------------------------

    def _matches(self, rules: list[_Rule], norm: str) -> bool:
        # Plain loops: this runs for every criterion on every sentence, and generator
        # expressions inside any/all cost more than the cached look-ups they make.
        offered = self.keys.index.candidates(norm)
        hit = self.lex._hit
        for rule in rules:
            if rule.needs & ~offered:
                continue  # a list the rule needs cannot occur in this sentence
            for name in rule.names:
                if not hit(name, norm):
                    break
            else:
                return True
        return False

    def unspoken(self, norm: str) -> str:
        """Folded text with spoken numbers and services written as typed and fillers dropped."""
        if self._fillers is not None:
            norm = self._fillers.sub("", norm)
        if self._spoken is not None:
            norm = self._spoken.sub(lambda m: self._spoken_words[m.group(1)], norm)
        return norm

    def setting_of(self, interviewer_text: str) -> str | None:
        """The health system the interviewer's words place the questions in ("uk", "us"), if only one."""
        norm = fold(interviewer_text, self._fold)
        found = [k for k, pattern in self.setting_markers.items() if pattern.search(norm)]
        return found[0] if len(found) == 1 else None

    def specific_words(self, text: str) -> set[str]:
        """Content words of a text that are not the rubric's own."""
        return {w for w in _content_words(self.unspoken(fold(text, self._fold))) if w not in self.generic_words}

    def off_question(self, answer: str, question: str, substance: str | None = None, *, loose: bool = False) -> bool:
        """Whether a substantive answer takes almost none of its specific words from the question it
        follows (`substance`, the part of the answer that counts as substance, decides whether it is
        one; `loose`, the bounds for an interview most of whose answers already missed)."""
        if len(question.split()) < self.question_min_words:
            return False  # too little of the question known to tell
        if len(self.specific_words(answer if substance is None else substance)) < self.off_question_min_words:
            return False
        said = self.specific_words(answer)
        shared = len(said & self.specific_words(question))
        most, share = self.off_question_loose if loose else self.off_question_bounds
        return shared <= most and shared < share * len(said)

    def astray(
        self, answers: Sequence[str], questions: Sequence[str], substance: Sequence[str] | None = None
    ) -> set[int]:
        """The answers given to a question they do not address. All the answers to one question
        (its first reply and the replies to its follow-ups) are read together, against the question
        and its follow-ups: a follow-up reply may well use words of its own. When at least half of
        the questions got answers that miss them, the others are read with the looser bounds."""
        groups: dict[str, list[int]] = {}
        for no, question in enumerate(questions[: len(answers)]):
            groups.setdefault(question.split("\n", 1)[0], []).append(no)
        read = []
        for nos in groups.values():
            asked = max((questions[no] for no in nos), key=len)
            said = " ".join(answers[no] for no in nos)
            core = " ".join(substance[no] for no in nos) if substance is not None else None
            read.append((nos, said, asked, core))
        missed = [self.off_question(said, asked, core) for _, said, asked, core in read]
        if any(missed) and 2 * sum(missed) >= len(missed):
            missed = [
                m or self.off_question(said, asked, core, loose=True)
                for m, (_, said, asked, core) in zip(missed, read, strict=True)
            ]
        return {no for m, (nos, *_rest) in zip(missed, read, strict=True) if m for no in nos}

    def analyze_answers(
        self,
        answers: Sequence[tuple[int, str, str, str]],
        setting: str | None = None,
        questions: Sequence[str] | None = None,
    ) -> Analysis:
        """Analyze candidate answers given as (turn index, text, interviewer text so far, last question).

        `setting` ("uk" or "us") is the candidate's health system; when None it is read from the
        interviewer's words. Routes of the other system earn nothing for the criteria that name one.
        `questions`, one per answer, is the question (with its material) each answer follows: an
        answer that does not address it earns nothing for the content criteria.
        """
        sents, flags = self.sentences(answers)
        live = [s for s in sents if s.excluded is None]
        asked_last = {no: fold(a[3], self._fold) for no, a in enumerate(answers)}
        if setting is None and answers:
            setting = self.setting_of(answers[-1][2])
        foreign = self.foreign_routes.get(setting) if setting else None
        # Read what earns anything: text set aside (grader-directed, padding, repeats) and text with
        # nothing the rubric looks at (residue of an attack, another language) do not count.
        content = self._content(live)
        kept = [" ".join(s.text for s in live if s.answer_no == no) for no in range(len(answers))]
        core = [" ".join(s.text for s in content if s.answer_no == no) for no in range(len(answers))]
        astray = self.astray(kept, questions, core) if questions is not None else set()
        if astray:
            flags.append("off_question")

        def text_for(crit: str, s: Sentence) -> str:
            if s.answer_no in astray and crit in self.off_question_criteria:
                return ""
            if foreign is None or crit not in self.setting_criteria:
                return s.norm
            return foreign.sub(" ", s.norm)

        findings: dict[str, Finding] = {}
        for crit, rules in self.sentence_rules.items():
            hits = [s for s in live if self._matches(rules, text_for(crit, s))]
            if crit in self.answer_rules:
                question, answer_rules = self.answer_rules[crit]
                hits += [
                    s
                    for s in live
                    if question.search(asked_last[s.answer_no])
                    and self._matches(answer_rules, text_for(crit, s))
                    and s not in hits
                ]
            findings[crit] = Finding(
                crit,
                bool(hits),
                f"stated explicitly in {len(hits)} sentence(s)" if hits else "not stated explicitly",
                hits[:2],
            )
        self._transcript_level(live, len(answers), findings)
        self._unless_violated(live, findings)
        unmet = [crit for crit, finding in findings.items() if not finding.met]
        for crit in self.rubric.criterion_ids:
            findings.setdefault(crit, Finding(crit, False, "not assessed"))
        analysis = Analysis(findings, sents, flags, len(answers), setting)
        return self._with_near_misses(analysis, live, unmet)

    def feedback_analysis(self, answers: Sequence[tuple[int, str, str, str]], setting: str | None = None) -> Analysis:
        """What feedback needs beside another judge's verdicts: the sentences (with those set aside
        marked), the flags, and, on asking, the sentence that nearly meets a criterion. No findings:
        far cheaper than `analyze_answers`, which decides every criterion itself."""
        sents, flags = self.sentences(answers)
        live = [s for s in sents if s.excluded is None]
        if setting is None and answers:
            setting = self.setting_of(answers[-1][2])
        return self._with_near_misses(Analysis({}, sents, flags, len(answers), setting), live, self.near_rules)

    def _with_near_misses(self, analysis: Analysis, live: list[Sentence], wanted: Iterable[str]) -> Analysis:
        def find(crit: str) -> Sentence | None:
            rules = self.near_rules.get(crit) or []
            return next((s for s in live if self._matches(rules, s.norm)), None)

        analysis._near_wanted = frozenset(wanted)
        analysis._find_near = find
        return analysis

    def _content(self, live: list[Sentence]) -> list[Sentence]:
        """Sentences that say something the rubric looks at. Text with none of it (residue of an
        attack, a line of markup, words in another language) neither adds substance nor dilutes
        recitation: it is read as if it were not there."""
        names = self.content_lists
        return [s for s in live if any(self.lex.hit(name, s.norm) for name in names)]

    def _substantive(self, live: list[Sentence]) -> tuple[dict[int, list[Sentence]], list[int]]:
        """Content sentences by answer, and the answers with enough of them to show reasoning."""
        by_answer: dict[int, list[Sentence]] = {}
        for s in live:
            by_answer.setdefault(s.answer_no, []).append(s)
        min_words = int(self._t("substantive_min_words", 18))
        min_sents = int(self._t("substantive_min_sentences", 2))
        substantive = [
            a
            for a, ss in by_answer.items()
            if len(ss) >= min_sents and sum(_word_count(s.norm) for s in ss) >= min_words
        ]
        return by_answer, substantive

    def _unless_violated(self, live: list[Sentence], f: dict[str, Finding]) -> None:
        """Criteria decided by `violation_rules`: met once the rubric's substance is there and
        no sentence breaks them."""
        if not self.violation_rules:
            return
        content = self._content(live)
        _, substantive = self._substantive(content)
        for crit, rules in self.violation_rules.items():
            need = max(1, self.rubric.criterion(crit).substance)
            breaking = [s for s in content if self._matches(rules, s.norm)]
            if len(substantive) < need:
                f[crit] = Finding(crit, False, f"needs {need} substantive answer(s) to judge")
            elif breaking:
                f[crit] = Finding(crit, False, "something said goes against it", breaking[:2])
            else:
                f[crit] = Finding(crit, True, "nothing said goes against it")

    def _transcript_level(self, live: list[Sentence], n_answers: int, f: dict[str, Finding]) -> None:
        live = self._content(live)
        by_answer, substantive = self._substantive(live)

        def hits(name: str, pool: Iterable[Sentence] = live) -> list[Sentence]:
            return [s for s in pool if self.lex.hit(name, s.norm)]

        reason_hits = hits("reason")
        recite = hits("recitation")
        guidance = hits("guidance")
        anecdotes = hits("anecdote")
        overconf = hits("overconfident")
        waves = hits("wave_through")
        later = [s for s in live if s.answer_no >= 1]
        backrefs = hits("back_reference", later)
        compares = hits("comparison", later)

        recitation_heavy = len(recite) >= self._t("recitation_min_sentences", 2) and len(recite) >= self._t(
            "recitation_share", 0.34
        ) * max(1, len(live))
        example = by_answer[substantive[0]][0] if substantive else None

        # J1: named guidance used as a reference point, not recited as the answer.
        if guidance and not recitation_heavy:
            f["J1"] = Finding("J1", True, "names guidance as a reference point", guidance[:2])
        elif guidance:
            f["J1"] = Finding("J1", False, "guidance is recited rather than used as a reference", recite[:2])
        else:
            f["J1"] = Finding("J1", False, "no guidance named")

        # J4: own reasoning, no rigid recitation.
        if not substantive:
            f["J4"] = Finding("J4", False, "answers too brief to show reasoning of your own")
        elif recitation_heavy:
            f["J4"] = Finding("J4", False, "guidance recited in place of reasoning", recite[:2])
        elif not reason_hits:
            f["J4"] = Finding("J4", False, "no reasoning of your own stated (no 'because', 'so that'...)")
        else:
            f["J4"] = Finding("J4", True, "reasons in your own words without reciting guidance", reason_hits[:1])

        # U4: no overconfident definitive claims.
        if not substantive:
            f["U4"] = Finding("U4", False, "answers too brief to judge")
        elif overconf:
            f["U4"] = Finding("U4", False, "definitive claim on incomplete information", overconf[:2])
        else:
            ev = hits("hedge")[:1] or ([example] if example else [])
            f["U4"] = Finding("U4", True, "no overconfident definitive claims", ev)

        # F4: stands alone, no anecdote.
        if not substantive:
            f["F4"] = Finding("F4", False, "answers too brief to stand alone")
        elif anecdotes:
            f["F4"] = Finding("F4", False, "relies on personal anecdote", anecdotes[:2])
        else:
            f["F4"] = Finding("F4", True, "no personal anecdote", [example] if example else [])

        # F2: structure within one answer (list items or a sequence of ordinals).
        structured: list[Sentence] = []
        for ss in by_answer.values():
            items = [s for s in ss if _LIST_ITEM.match(s.text)]
            ords = {m.group(0).strip() for s in ss for m in self.lex["ordinal"].finditer(s.norm)}
            ords_core = {o for o in ords if o not in ("then", "next")}
            # Speech to text mixes the forms ("One, the harm ... 2. Why ..."): an item and an
            # ordinal together are a list too.
            if len(items) >= 2 or len(ords_core) >= 2 or (items and ords_core) or (ords_core and len(ords) >= 3):
                structured = items[:2] or [s for s in ss if self.lex.hit("ordinal", s.norm)][:2]
                break
        f["F2"] = Finding(
            "F2",
            bool(structured),
            "structured as criteria or steps" if structured else "no list or steps",
            structured,
        )

        # F3: a rationale for (most) judgements.
        answers_with_reason = {s.answer_no for s in reason_hits}
        share = len(answers_with_reason & set(substantive)) / max(1, len(substantive))
        f3 = len(reason_hits) >= self._t("f3_min_reason_sentences", 2) and share >= self._t("f3_min_answer_share", 0.4)
        f["F3"] = Finding(
            "F3",
            f3,
            f"rationale given in {len(reason_hits)} sentence(s)" if f3 else "judgements mostly lack a 'because'",
            reason_hits[:2] if f3 else [],
        )

        # Consistency across answers.
        contradiction = self._contradiction(live)
        safety_names = ("S1", "S3", "B2", "B3", "B4")
        safety_answers = {
            s.answer_no for c in safety_names for s in live if self._matches(self.sentence_rules.get(c, []), s.norm)
        }
        escalating_answers = {s.answer_no for s in hits("emergency_route")}
        lowered = [s for s in waves if escalating_answers - {s.answer_no}]

        # Under a rubric that marks them met-unless-violated (v2), the consistency criteria hold
        # once there are enough substantive answers and nothing breaks them; under v1 they need
        # to be stated (C1 in two answers, C2 as a comparison, C4 as a reference back).
        def negative(crit: str) -> bool:
            return (
                crit in self.rubric.criterion_ids and self.rubric.criterion(crit).direction is Direction.UNLESS_VIOLATED
            )

        def need(crit: str) -> int:
            return max(2, self.rubric.criterion(crit).substance) if crit in self.rubric.criterion_ids else 2

        def unless(crit: str, violation: list[Sentence], broken: str, held: str) -> Finding:
            if len(substantive) < need(crit):
                return Finding(crit, False, f"fewer than {need(crit)} substantive answers to compare")
            if violation:
                return Finding(crit, False, broken, violation[:2])
            ev = [by_answer[a][0] for a in substantive[:2]]
            return Finding(crit, True, held.format(n=len(substantive)), ev)

        if negative("C1"):
            f["C1"] = unless(
                "C1",
                lowered,
                "a comparable risk is waved through after escalating elsewhere",
                "the same safety threshold holds across {n} answers",
            )
        elif len(substantive) < 2 and len(by_answer) < 2:
            f["C1"] = Finding("C1", False, "only one answer, so no threshold to compare")
        elif lowered:
            f["C1"] = Finding("C1", False, "a comparable risk is waved through after escalating elsewhere", lowered[:2])
        elif len(safety_answers) >= self._t("c1_min_safety_answers", 2):
            ev = [next(s for s in live if s.answer_no == a) for a in sorted(safety_answers)[:2]]
            f["C1"] = Finding("C1", True, f"safety threshold applied in {len(safety_answers)} answers", ev)
        else:
            f["C1"] = Finding("C1", False, "safety threshold stated in fewer than two answers")

        if negative("C2"):
            # A lowered threshold is a change of priority nobody explained.
            f["C2"] = unless(
                "C2",
                lowered,
                "a priority set earlier is dropped without a reason",
                "priorities stay coherent across {n} answers",
            )
        else:
            f["C2"] = Finding(
                "C2",
                bool(compares),
                "explains how priorities compare across questions"
                if compares
                else "no explicit comparison between questions",
                compares[:2],
            )
        f["C3"] = unless(
            "C3",
            contradiction or lowered,
            "a later answer reverses or relaxes an earlier position",
            "no contradiction across {n} answers",
        )
        if contradiction:
            f["C3"].reason = "a later answer reverses an earlier position"
        if negative("C4"):
            f["C4"] = unless(
                "C4", contradiction, "a follow-up drops the earlier position", "earlier positions hold under follow-up"
            )
        else:
            f["C4"] = Finding(
                "C4",
                bool(backrefs),
                "builds on an earlier answer" if backrefs else "never refers back to an earlier answer",
                backrefs[:2],
            )

    def _contradiction(self, live: list[Sentence]) -> list[Sentence]:
        stance: dict[str, dict[str, Sentence]] = {}
        forbid = self.lex["forbid"]
        permit = self.lex["permit"]
        for s in live:
            for action, pattern in self.lex.actions.items():
                m = pattern.search(s.norm)
                if not m:
                    continue
                before = s.norm[max(0, m.start() - 40) : m.start()]
                if forbid.search(before):
                    pol = "forbid"
                elif permit.search(before):
                    pol = "permit"
                else:
                    continue
                stance.setdefault(action, {})
                other = "permit" if pol == "forbid" else "forbid"
                prev = stance[action].get(other)
                if prev is not None and prev.answer_no != s.answer_no:
                    return [prev, s]
                stance[action].setdefault(pol, s)
        return []
