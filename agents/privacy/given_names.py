"""Write `prompts/privacy/given_names.txt`: first names of many countries that the packaged lists
(gender-guesser's dictionary and the US census) lack, from the `nomquamgender` package's name
data (MIT; names and how often each was seen, gathered from 36 sources across many countries).

    .venv/bin/pip download --no-deps nomquamgender==0.1.4 -d WHEELS
    .venv/bin/python -m agents.privacy.given_names WHEELS/nomquamgender-0.1.4-py3-none-any.whl

The package itself is not a dependency: it brings pandas, and its 22 MB of data would be read on
every start. A name is kept when at least five sources and fifty records have it (below that the
data holds typing slips and handles), it is letters only (an apostrophe or hyphen inside allowed),
and it is no English word, medicine or word the scrubber always keeps: the list only ever adds
names that no dictionary would explain.
"""

from __future__ import annotations

import json
import re
import sys
import zipfile

from agents.privacy.names import GIVEN_NAMES_FILE, core_gazetteer, is_english_word, medicine_variants

MIN_SOURCES = 5
MIN_RECORDS = 50
SOURCE = "nomquamgender 0.1.4 (MIT), name_data.json"
_WORD = re.compile(r"[a-zà-ɏ][a-zà-ɏ'\-]*[a-zà-ɏ]")


def derive(data: dict[str, list[object]]) -> list[str]:
    """The names to add, sorted: common enough, letters only, and nothing a dictionary explains."""
    from agents.privacy.scrubber import always_kept_words

    first, last = core_gazetteer()
    not_names = medicine_variants() | always_kept_words()
    kept: set[str] = set()
    for name, row in data.items():
        sources, records = row[0], row[1]
        if not (isinstance(sources, int) and isinstance(records, int)):
            continue
        if sources < MIN_SOURCES or records < MIN_RECORDS or len(name) < 3 or not _WORD.fullmatch(name):
            continue
        if name in first or name in last or name in not_names or is_english_word(name):
            continue
        kept.add(name)
    return sorted(kept)


def main(argv: list[str]) -> int:
    """Read the wheel named on the command line and rewrite the list beside the scrubber's data."""
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with zipfile.ZipFile(argv[0]) as wheel:
        data = json.loads(wheel.read("nomquamgender/name_data.json"))
    names = derive(data)
    header = [
        f"# First names the packaged lists lack, from {SOURCE}.",
        f"# Kept: >= {MIN_SOURCES} sources and >= {MIN_RECORDS} records, letters only, no English word,",
        "# medicine or always-kept word. Regenerate with `python -m agents.privacy.given_names WHEEL`.",
        "version: given-names-v1",
    ]
    GIVEN_NAMES_FILE.write_text("\n".join(header + names) + "\n", encoding="utf-8")
    print(f"{len(names)} names written to {GIVEN_NAMES_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
