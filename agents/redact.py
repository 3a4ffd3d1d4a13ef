"""Personal-data scrubber applied to text before it leaves for a model provider.

Users practise with fictional scenarios but sometimes type real details out of habit. Names after
titles, NHS numbers (checksum-verified), US social security and record numbers, dates of birth,
phone numbers, emails, UK postcodes and US street addresses are replaced with a bracketed tag.
Public service numbers (999, 111, 911, 988, 116 123, Poison Control) are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

_PUBLIC_NUMBERS = {"999", "111", "911", "988", "112", "116123", "18002221222", "8002221222", "08001111", "0800111"}


def nhs_number_valid(digits: str) -> bool:
    """NHS number modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


_TITLE_NAME = re.compile(
    r"\b(Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sister|Nurse)\.?\s+([A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)"
)
_NHS = re.compile(r"(?<![\d-])(\d{3}) ?(\d{3}) ?(\d{4})(?![\d-])")  # written as 943 476 5919
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_MRN = re.compile(
    r"\b(MRN|medical record (?:number|no\.?)|hospital (?:number|no\.?)|patient id)\s*[:#]?\s*[A-Z]{0,3}\d{5,}\b", re.I
)
_DOB = re.compile(
    r"\b(?:(?:DOB|D\.O\.B\.?|date of birth|born(?: on)?)\s*[:\-]?\s*)"
    r"(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+\s+\d{4}|[A-Z][a-z]+\s+\d{1,2},?\s+\d{4})",
    re.I,
)
_FULL_DATE = re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.](?:19|20)\d{2}\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(
    r"(?<![\w-])(?:\+?44\s?\(?0?\)?\s?\d{2,4}|\(?0\d{2,4}\)?|\+?1[\s.-]?\(?\d{3}\)?|\(?\d{3}\)?)[\s.-]?\d{3}[\s.-]?\d{3,4}(?![\w-])"
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Court|Ct|Place|Pl|Way|Terrace|Parkway|Pkwy)\b\.?"
)


@dataclass
class Scrubbed:
    """Scrubbed text and the kinds of data removed."""

    text: str
    kinds: list[str] = field(default_factory=list)


_DIGIT = re.compile(r"\d")
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sister|Nurse)\b")


class Redactor:
    """Replaces personal identifiers with tags like [name], [NHS number]."""

    def scrub(self, text: str) -> Scrubbed:
        """Scrub one text."""
        out, kinds = _scrub(text)
        return Scrubbed(out, list(kinds))


@lru_cache(maxsize=4096)
def _scrub(text: str) -> tuple[str, tuple[str, ...]]:
    # Cached: a judge sends the same turns again and again (each scenario judged as it ends, then
    # the whole interview; re-asks), and scrubbing is ten regex passes per turn.
    if not _DIGIT.search(text) and "@" not in text and not _TITLE.search(text):
        return text, ()  # every identifier the scrubber knows has a digit, an @ or a title
    kinds: list[str] = []

    def sub(pattern: re.Pattern[str], tag: str, value: str, check: object = None) -> str:
        def repl(m: re.Match[str]) -> str:
            if callable(check) and not check(m):
                return m.group(0)
            if tag not in kinds:
                kinds.append(tag)
            return f"[{tag}]"

        return pattern.sub(repl, value)

    out = sub(_EMAIL, "email", text)
    out = sub(_SSN, "SSN", out)
    out = sub(_MRN, "record number", out)
    out = sub(_NHS, "NHS number", out, lambda m: nhs_number_valid("".join(m.groups())))
    out = sub(_DOB, "date of birth", out)
    out = sub(_FULL_DATE, "date", out)
    out = sub(_STREET, "address", out)
    out = sub(_POSTCODE, "postcode", out)
    out = sub(
        _PHONE,
        "phone",
        out,
        lambda m: re.sub(r"\D", "", m.group(0)) not in _PUBLIC_NUMBERS and len(re.sub(r"\D", "", m.group(0))) >= 10,
    )
    out = sub(_TITLE_NAME, "name", out)
    return out, tuple(kinds)
