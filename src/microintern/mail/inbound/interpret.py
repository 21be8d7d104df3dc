"""Interpret a human message: reference codes, the student's statement, addresses.

Pure Python, no Django: the ingestion layer matches the results against students and
micro-internships in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr

from .parse import ParsedMessage, plain_address

__all__ = [
    "DEFAULT_WORD_LIMIT",
    "Statement",
    "extract_statement",
    "find_choice",
    "find_reference_codes",
    "is_university_address",
    "normalise_address",
    "normalise_reference_code",
]

DEFAULT_WORD_LIMIT = 150

# "MI-2026-007", "mi 2026 7", "MI–2026–07", "MI/2026/7", "MI2026-007": the prefix must start a
# word, separators are optional dashes (any kind), spaces, dots, slashes or underscores.
_SEP = r"[\s\-\u2010-\u2015\u2212_./#:]*"
_CODE = re.compile(rf"(?<![A-Za-z0-9])MI{_SEP}(20\d\d){_SEP}(\d{{1,4}})(?!\d)", re.IGNORECASE)


def normalise_reference_code(year: str | int, number: str | int) -> str | None:
    """Return the canonical form MI-YYYY-NNN, or None for number 0."""
    if int(number) == 0:
        return None
    return f"MI-{int(year):04d}-{int(number):03d}"


def find_reference_codes(subject: str, body: str) -> list[str]:
    """Find public reference codes, subject first, then body; normalised and de-duplicated.

    Tolerant of how people type them: lower case, spaces instead of dashes, en-dashes,
    missing leading zeros ("mi 2026 7" → "MI-2026-007").
    """
    found: list[str] = []
    for text in (subject or "", body or ""):
        for match in _CODE.finditer(text):
            code = normalise_reference_code(match.group(1), match.group(2))
            if code and code not in found:
                found.append(code)
    return found


@dataclass(frozen=True, slots=True)
class Statement:
    """The student's own words, kept whole; `over_limit` flags it for staff, never truncates."""

    text: str
    word_count: int
    word_limit: int
    over_limit: bool


_GREETING = re.compile(
    r"^(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|to whom it may concern)"
    r"\b[^\n]{0,60}$",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^(?:(?:kind|best|warm|warmest|many)?\s*(?:regards|wishes|thanks)|thank you(?: very much)?|"
    r"thanks(?: again| so much| a lot)?|cheers|sincerely|yours(?: sincerely| faithfully| truly)?|"
    r"all the best|best|bw|kr|sent from my [^\n]+|get outlook for [^\n]+)[\s,.!]*$",
    re.IGNORECASE,
)
_SIGN_OFF_WINDOW = 6
"""A sign-off is looked for only among the last few non-empty lines."""


def _strip_greeting_and_sign_off(text: str) -> str:
    lines = text.strip().split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and _GREETING.match(lines[0].strip()):
        lines.pop(0)
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    for index in nonempty[-_SIGN_OFF_WINDOW:]:
        if _SIGN_OFF.match(lines[index].strip()):
            lines = lines[:index]
            break
    return "\n".join(lines).strip()


def extract_statement(parsed: ParsedMessage, *, word_limit: int = DEFAULT_WORD_LIMIT) -> Statement:
    """Return the student's statement: the trimmed body without greeting and sign-off.

    Falls back to the trimmed body if stripping would leave nothing. The word count is of the
    statement; over-long statements are kept whole and flagged.
    """
    body = parsed.body_trimmed or parsed.body_text
    text = _strip_greeting_and_sign_off(body) or body.strip()
    count = len(text.split())
    return Statement(
        text=text, word_count=count, word_limit=word_limit, over_limit=count > word_limit
    )


_CHOICE_WORDS = {
    "first": 1, "top": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
# "my first choice", "second choice", "my 2nd choice", "3rd choice"; not "not my first choice".
_CHOICE = re.compile(
    r"(?<![\w-])(?P<neg>not\s+(?:my\s+|the\s+|a\s+)?)?"
    rf"(?P<rank>{'|'.join(_CHOICE_WORDS)}|(?P<n>[1-9]\d?)(?:st|nd|rd|th))[\s-]+choice\b",
    re.IGNORECASE,
)


def find_choice(text: str) -> int | None:
    """Where the student ranks this micro-internship among their choices, as they wrote it
    ("my first choice", "second choice", "my 2nd choice"): 1 = first. None when they said
    nothing of the kind, or said two different things."""
    found = set()
    for match in _CHOICE.finditer(text or ""):
        if match.group("neg"):
            continue
        number = match.group("n")
        found.add(int(number) if number else _CHOICE_WORDS[match.group("rank").lower()])
    return found.pop() if len(found) == 1 else None


def normalise_address(addr: str) -> str:
    """Lower-case and strip an address; accepts "Name <addr>" too. Returns "" if none."""
    if not addr:
        return ""
    plain = plain_address(addr)
    if plain is not None:
        return plain.lower()
    _, address = parseaddr(addr.strip())
    address = (address or addr).strip().strip("<>").strip().lower()
    return address if "@" in address else ""


def is_university_address(addr: str, domains: Iterable[str]) -> bool:
    """True when the address is at one of the domains or a subdomain of one.

    `student.example.ac.uk` counts for `example.ac.uk`; `example.ac.uk.evil.test` does not.
    """
    address = normalise_address(addr)
    if not address:
        return False
    domain = address.rpartition("@")[2].rstrip(".")
    for allowed in domains:
        allowed = allowed.strip().lower().lstrip("@").rstrip(".")
        if allowed and (domain == allowed or domain.endswith("." + allowed)):
            return True
    return False
