"""Word keys for the analyzer's phrase lists: a cheap test that rules most lists out for a sentence
before any of their regexes runs.

In every match, an entry of a phrase list begins with one of a few literal strings, worked out from
the entry itself. The key of such a start is the word it begins with (after a common word such as
"the", the two words: "the ai") written as `word$` when the match must hold the whole word, or as
the word's first four characters when the entry may go on within it; a start that begins with an
unusual character is keyed by that character. A sentence offers the same keys for each of its words,
so a list none of whose keys the sentence offers cannot match it. Entries that cannot be keyed are
always tried. The keys only ever rule a list out: results equal the regexes' own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_TOKEN = re.compile(r"\w+")
_GAP = re.compile(r"\W+")
_SPLIT = re.compile(r"(\W+)")  # words at even places, what separates them at odd ones
_PREFIX = 4  # an open word is keyed by at most this many first characters
_MAX_STARTS = 4096  # past this many literal starts an entry is not keyed
# Characters too common to rule anything out: an entry that can begin with one is not keyed.
_COMMON = frozenset(" \t\n\r\f\v.,;:!?'\"-()")
# A regex entry that is tried only at word starts (the analyzer puts `(?<!\w)` before it).
WORD_START = re.compile(r"^(?:\\[bdw]|\w|\(\?:[\w(]|\([\w(\\])")


class KeyIndex:
    """Which of many phrase lists could match a text, as a bit mask, from the text's words.

    Entries that cannot be keyed are listed in `unkeyed`: the caller keeps them in a regex of their
    own that always runs, and asks the index only about the rest of the list.
    """

    def __init__(self, lists: Mapping[str, Iterable[str]], common_words: frozenset[str]) -> None:
        self.bits: dict[str, int] = {}
        self.unkeyed: dict[str, list[str]] = {}
        self._index: dict[str, int] = {}
        self._chars: dict[str, int] = {}
        self._common = common_words
        self._cache: dict[str, int] = {}
        for position, (name, entries) in enumerate(lists.items()):
            bit = 1 << position
            self.bits[name] = position
            self.unkeyed[name] = []
            for entry in entries:
                keys = entry_keys(entry, common_words)
                if keys is None:
                    self.unkeyed[name].append(entry)
                    continue
                for key in keys:
                    table = self._chars if key.startswith("\0") else self._index
                    table[key.lstrip("\0")] = table.get(key.lstrip("\0"), 0) | bit

    def candidates(self, text: str) -> int:
        """Bit mask of the lists that could match `text` (remembered per text)."""
        mask = self._cache.get(text)
        if mask is None:
            mask = 0
            get = self._index.get
            # The keys a text offers, looked up as they are made (once for every sentence): for
            # each word `word$` and its first 1 to 4 characters; after a common word, the same for
            # the pair, with what separates them.
            common = self._common
            head = ""
            parts = _SPLIT.split(text)
            for i in range(0, len(parts), 2):
                word = parts[i]
                if not word:
                    continue
                mask |= get(word + "$", 0)
                if word[0].isdecimal():  # what `\d` matches
                    mask |= get(DIGIT, 0)
                for k in range(1, min(len(word), _PREFIX) + 1):
                    mask |= get(word[:k], 0)
                if head:
                    mask |= get(head + word + "$", 0)
                    for k in range(1, min(len(word), _PREFIX) + 1):
                        mask |= get(head + word[:k], 0)
                head = word + parts[i + 1] if word in common and i + 1 < len(parts) else ""
            for char, bits in self._chars.items():
                if char in text:
                    mask |= bits
            if len(self._cache) >= 65_536:
                self._cache.clear()
            self._cache[text] = mask
        return mask

    def may_match(self, name: str, text: str) -> bool:
        """False only when list `name` cannot match `text`."""
        position = self.bits.get(name)
        return position is None or bool(self.candidates(text) >> position & 1)

    def clear(self) -> None:
        """Forget the remembered texts (for measuring cold speed)."""
        self._cache.clear()


def list_keys(entries: Iterable[str], common_words: frozenset[str]) -> set[str] | None:
    """The keys of a phrase list, or None when some entry cannot be keyed."""
    keys: set[str] = set()
    for entry in entries:
        got = entry_keys(entry, common_words)
        if got is None:
            return None
        keys |= got
    return keys


def entry_keys(entry: str, common_words: frozenset[str]) -> set[str] | None:
    """The keys of one phrase-list entry (a plain phrase, or a regex written `re:...`), or None."""
    if entry.startswith("re:"):
        body = entry[3:]
        at_word_start = bool(WORD_START.match(body)) or body.startswith(("^", r"\b", r"\A"))
        return start_keys(literal_starts(body, common_words), at_word_start, False, common_words)
    # The analyzer matches a plain phrase as whole words, so its last word is whole too.
    return start_keys({entry.lower()}, True, True, common_words)


def start_keys(
    starts: set[str] | None, at_word_start: bool, whole_word: bool, common_words: frozenset[str]
) -> set[str] | None:
    """Keys for an entry whose matches begin with one of `starts`; None if one gives no key.
    Word keys need the match to begin at a word start. `whole_word`: a start that ends on a word
    ends on a whole word of the text."""
    if not starts:
        return None
    keys: set[str] = set()
    for start in starts:
        if start.startswith(DIGIT):
            if not at_word_start:
                return None  # a digit inside a word does not start one
            keys.add(DIGIT)
            continue
        first = _TOKEN.match(start)
        if first is None:
            if not start or start[0] in _COMMON:
                return None
            keys.add("\0" + start[0])
            continue
        if not at_word_start:
            return None
        head, last = "", first
        if first.group(0) in common_words:
            gap = _GAP.match(start, first.end())
            second = _TOKEN.match(start, gap.end()) if gap else None
            if second is not None:
                head, last = start[: second.start()], second
        word = last.group(0)
        if last.end() < len(start) or whole_word:
            keys.add(head + word + "$")
        else:
            keys.add(head + word[:_PREFIX])
    return keys


# Stands for "any decimal digit" (what `\d` matches) at the start of a word: one key, rather than
# one for each of the several hundred digits Unicode has.
DIGIT = "\x01"
# Every white-space character (none lies above U+3000).
_SPACES = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())


def _key_form(text: str, common_words: frozenset[str]) -> str:
    """Cut a start where nothing later can change its keys (see `_closed`)."""
    first = _TOKEN.match(text)
    if first is None:
        return text[:1]
    if first.group(0) not in common_words:
        return text[: first.end() + 1]
    gap = _GAP.match(text, first.end())
    second = _TOKEN.match(text, gap.end()) if gap else None
    return text if second is None else text[: second.end() + 1]


def _closed(text: str, common_words: frozenset[str]) -> bool:
    """Whether appending to a start can no longer change its keys: it begins with a non-word
    character, or holds its first word and the character after it (after a common word, its
    second word and the character after that)."""
    if not text:
        return False
    first = _TOKEN.match(text)
    if first is None:
        return True
    if first.group(0) not in common_words:
        return first.end() < len(text)
    gap = _GAP.match(text, first.end())
    second = _TOKEN.match(text, gap.end()) if gap else None
    return second is not None and second.end() < len(text)


def literal_starts(pattern: str, common_words: frozenset[str] = frozenset()) -> set[str] | None:
    """Literal strings, one of which every match of regex `pattern` begins with (cut where nothing
    later can change their keys). None when that cannot be told or there are too many."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]

    class _TooMany(Exception):
        pass

    def join(heads: set[str], tails: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for head in heads:
            if _closed(head, common_words):
                out.add(head)
            else:
                out.update(_key_form(head + tail, common_words) for tail in tails)
            if len(out) > _MAX_STARTS:
                raise _TooMany
        return out

    def seq(items: Iterable[Any], heads: set[str]) -> tuple[set[str], set[str]]:
        # (starts after which all of `items` is consumed, starts after which what follows is unknown)
        whole, cut = heads, set()
        for op, av in items:
            if all(_closed(h, common_words) for h in whole):
                break
            whole, op_cut = one(op, av, whole)
            cut |= op_cut
        return whole, cut

    def chars(av: Any) -> str | None:
        out: list[str] = []
        for o, a in av:
            if o is c.LITERAL:
                out.append(chr(a))
            elif o is c.RANGE:
                out.extend(chr(x) for x in range(a[0], a[1] + 1))
            elif o is c.CATEGORY and a is c.CATEGORY_SPACE:
                out.append(_SPACES)
            else:
                return None
        return "".join(out)

    def one(op: Any, av: Any, heads: set[str]) -> tuple[set[str], set[str]]:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            return heads, set()  # zero width: dropping a condition keeps the keys necessary ones
        if op is c.LITERAL:
            return join(heads, [chr(av)]), set()
        if op is c.IN and any(o is c.CATEGORY and a is c.CATEGORY_DIGIT for o, a in av):
            # A digit can start the match (keyed as DIGIT); anywhere later, it ends what is known.
            if len(av) == 1 and "" in heads:
                return {DIGIT}, heads - {""}
            return set(), heads
        if op is c.IN:
            got = chars(av)
            return (join(heads, got), set()) if got is not None else (set(), heads)
        if op is c.SUBPATTERN:
            return seq(av[-1], heads)
        if op is c.BRANCH:
            whole: set[str] = set()
            cut: set[str] = set()
            for alternative in av[1]:
                w, p = seq(alternative, heads)
                whole |= w
                cut |= p
            return whole, cut
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            low, high, body = av
            w, p = seq(body, heads)
            skipped = heads if low == 0 else set()
            if high == 1:
                return w | skipped, p
            return skipped, w | p  # one repeat and then unknown, or none at all
        return set(), heads

    try:
        parsed = parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        whole, cut = seq(parsed, {""})
    except (_TooMany, re.error, RecursionError):
        return None
    return whole | cut
