"""How a university's student-record extract may write level, mode, fee status and
domicile, and what each means here.

Universities export from SITS, Banner, Tribal or their own warehouse: one writes "UG", one
"Undergraduate", one "U"; domicile may be a HESA code (XF), an ISO 3166 code (GB, FR) or
the "UK" everyone types. Each reading below is a value of ours (`accounts.enums`); `read`
returns it, or a message that names what was written and what is expected. "PG" alone is
refused rather than guessed: taught and research postgraduates are counted apart.
"""

from __future__ import annotations

from microintern.accounts.enums import FeeStatus, StudyLevel, StudyMode

READINGS: dict[str, dict[str, str]] = {
    "level": {
        "fd": StudyLevel.FOUNDATION,
        "f": StudyLevel.FOUNDATION,
        "foundation": StudyLevel.FOUNDATION,
        "foundation year": StudyLevel.FOUNDATION,
        "ug": StudyLevel.UNDERGRADUATE,
        "u": StudyLevel.UNDERGRADUATE,
        "undergraduate": StudyLevel.UNDERGRADUATE,
        "first degree": StudyLevel.UNDERGRADUATE,
        "pgt": StudyLevel.POSTGRADUATE_TAUGHT,
        "t": StudyLevel.POSTGRADUATE_TAUGHT,
        "postgraduate taught": StudyLevel.POSTGRADUATE_TAUGHT,
        "taught postgraduate": StudyLevel.POSTGRADUATE_TAUGHT,
        "pgr": StudyLevel.POSTGRADUATE_RESEARCH,
        "r": StudyLevel.POSTGRADUATE_RESEARCH,
        "postgraduate research": StudyLevel.POSTGRADUATE_RESEARCH,
        "research postgraduate": StudyLevel.POSTGRADUATE_RESEARCH,
    },
    "mode": {
        "ft": StudyMode.FULL_TIME,
        "f": StudyMode.FULL_TIME,
        "full time": StudyMode.FULL_TIME,
        "fulltime": StudyMode.FULL_TIME,
        "pt": StudyMode.PART_TIME,
        "p": StudyMode.PART_TIME,
        "part time": StudyMode.PART_TIME,
        "parttime": StudyMode.PART_TIME,
    },
    "fee_status": {
        "h": FeeStatus.HOME,
        "home": FeeStatus.HOME,
        "uk": FeeStatus.HOME,
        "i": FeeStatus.INTERNATIONAL,
        "o": FeeStatus.INTERNATIONAL,
        "os": FeeStatus.INTERNATIONAL,
        "international": FeeStatus.INTERNATIONAL,
        "overseas": FeeStatus.INTERNATIONAL,
    },
}
REFUSED = {
    "level": {"pg": "could be taught or research: write PGT or PGR"},
}
EXPECTED = {
    "level": "FD (foundation year), UG (undergraduate), PGT (postgraduate taught) or PGR "
    "(postgraduate research); the words in full also do",
    "mode": "FT (full-time) or PT (part-time); the words in full also do",
    "fee_status": "H (home) or I (international); the words in full also do",
    "domicile": "a HESA domicile code (XF England, XG Northern Ireland, XH Scotland, XI Wales, "
    "XK UK) or a two-letter ISO country code (GB or UK for the UK, FR, IN, ...)",
}
UK_NAMES = {
    "uk": "XK",
    "gb": "XK",
    "united kingdom": "XK",
    "great britain": "XK",
    "england": "XF",
    "northern ireland": "XG",
    "scotland": "XH",
    "wales": "XI",
}


def _key(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").lower().split())


def read(column: str, text: str) -> tuple[str | None, str]:
    """(our value, "") for what the extract wrote in `column`, or (None, why not)."""
    key = _key(text)
    if key in REFUSED.get(column, {}):
        return None, f"“{text}” {REFUSED[column][key]}."
    for value in READINGS[column].values():
        if key in (_key(value), _key(value.label)):
            return value, ""
    if key in READINGS[column]:
        return READINGS[column][key], ""
    return None, f"“{text}” is not a {column.replace('_', ' ')} we know: use {EXPECTED[column]}."


def read_domicile(text: str) -> tuple[str | None, str]:
    """(HESA or ISO code, "") for the domicile written, the UK's names and codes as HESA's
    UK codes; or (None, why not)."""
    key = _key(text)
    if key in UK_NAMES:
        return UK_NAMES[key], ""
    if len(key) == 2 and key.isalpha() and key.isascii():
        return key.upper(), ""
    return None, f"“{text}” is not a domicile we know: use {EXPECTED['domicile']}."
