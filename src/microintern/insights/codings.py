"""How a university's student-record extract may write level, mode, fee status and
domicile, and what each means here.

Universities export from SITS, Banner, Tribal or their own warehouse: one writes "UG", one
"Undergraduate", one "U"; domicile may be a HESA code (XF), an ISO 3166 code (GB, FR) or
the "UK" everyone types. Each reading below is a value of ours (`accounts.enums`); `read`
returns it, or a message that names what was written and what is expected. "PG" alone is
refused rather than guessed: taught and research postgraduates are counted apart.

The tables below are the default :class:`Mapping`. An administrator may replace them with a
new version (``insights.models.CodingMapping``, edited on the codes page,
``/insights/population/codes/``); every import reads with
one :class:`Mapping` and records which version it was. Our own values and their labels
("undergraduate", "Part-time") are always read, whatever the mapping says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from microintern.accounts.enums import FeeStatus, StudyLevel, StudyMode

CODED = {"level": StudyLevel, "mode": StudyMode, "fee_status": FeeStatus}
"""The coded columns and the values each may be read as."""

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


DOMICILE_CODE_LENGTH = 2


def _key(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("_", " ").lower().split())


@dataclass(frozen=True)
class Mapping:
    """How codes are read: ``readings`` {column: {written: our value}} for level, mode,
    fee_status and domicile (a name or code → HESA/ISO code), ``refused`` {column:
    {written: why}}. Keys are compared as :func:`_key` writes them (case, spaces, hyphens
    and underscores do not matter). ``version`` is the stored version it came from."""

    readings: dict[str, dict[str, str]]
    refused: dict[str, dict[str, str]] = field(default_factory=dict)
    version: int | None = None

    def __post_init__(self):
        for name in ("readings", "refused"):
            table = {
                column: {_key(str(written)): value for written, value in codes.items()}
                for column, codes in getattr(self, name).items()
            }
            object.__setattr__(self, name, table)

    def expected(self, column: str) -> str:
        """What to write instead: the default wording, or the codes this mapping knows."""
        if self.readings.get(column) == DEFAULT.readings.get(column):
            return EXPECTED[column]
        known = ", ".join(sorted(written.upper() for written in self.readings.get(column, {})))
        if column == "domicile":
            return f"{known} or a two-letter ISO country code"
        return f"{known}; the words in full also do" if known else "the words in full"


def default_tables() -> dict[str, dict[str, dict[str, str]]]:
    """The default mapping as plain JSON: {"readings": ..., "refused": ...}."""
    readings = {column: {k: str(v) for k, v in codes.items()} for column, codes in READINGS.items()}
    refused = {column: dict(codes) for column, codes in REFUSED.items()}
    return {"readings": readings | {"domicile": dict(UK_NAMES)}, "refused": refused}


def check_tables(readings: object, refused: object) -> list[str]:
    """Why these tables cannot be a mapping (empty list: they can), one sentence each."""
    problems = []
    for name, table in (("readings", readings), ("refused", refused)):
        if not isinstance(table, dict) or not all(isinstance(c, dict) for c in table.values()):
            problems.append(f"“{name}” must be {{column: {{code: value}}}}.")
    if problems:
        return problems
    columns = (*CODED, "domicile")
    for column, codes in readings.items():
        if column not in columns:
            problems.append(f"readings: “{column}” is not one of {', '.join(columns)}.")
            continue
        for written, value in codes.items():
            if not isinstance(value, str) or not _key(str(written)):
                problems.append(f"readings: {column}: “{written}” needs a code and a value.")
            elif column == "domicile":
                if not (len(value) == DOMICILE_CODE_LENGTH and value.isalpha() and value.isupper()):
                    problems.append(
                        f"readings: domicile: “{written}” must read as a two-letter code such "
                        f"as XF or FR, not “{value}”."
                    )
            elif value not in CODED[column].values:
                allowed = ", ".join(CODED[column].values)
                problems.append(
                    f"readings: {column}: “{written}” must read as one of {allowed}, not “{value}”."
                )
    for column, codes in refused.items():
        if column not in CODED:
            problems.append(f"refused: “{column}” is not one of {', '.join(CODED)}.")
            continue
        for written, why in codes.items():
            if not isinstance(why, str) or not why.strip():
                problems.append(f"refused: {column}: “{written}” needs a reason.")
            elif _key(str(written)) in {_key(str(k)) for k in readings.get(column, {})}:
                problems.append(f"{column}: “{written}” cannot be both read and refused.")
    return problems


def read(column: str, text: str, mapping: Mapping | None = None) -> tuple[str | None, str]:
    """(our value, "") for what the extract wrote in `column`, or (None, why not)."""
    mapping = mapping or DEFAULT
    key = _key(text)
    refused = mapping.refused.get(column, {})
    if key in refused:
        return None, f"“{text}” {refused[key]}."
    for value in CODED[column]:
        if key in (_key(value), _key(value.label)):
            return value, ""
    readings = mapping.readings.get(column, {})
    if key in readings:
        return CODED[column](readings[key]), ""
    what = column.replace("_", " ")
    return None, f"“{text}” is not a {what} we know: use {mapping.expected(column)}."


def read_domicile(text: str, mapping: Mapping | None = None) -> tuple[str | None, str]:
    """(HESA or ISO code, "") for the domicile written, the UK's names and codes as HESA's
    UK codes; or (None, why not)."""
    mapping = mapping or DEFAULT
    key = _key(text)
    names = mapping.readings.get("domicile", {})
    if key in names:
        return names[key], ""
    if len(key) == DOMICILE_CODE_LENGTH and key.isalpha() and key.isascii():
        return key.upper(), ""
    return None, f"“{text}” is not a domicile we know: use {mapping.expected('domicile')}."


DEFAULT = Mapping(**default_tables())
"""Today's codings: version 1 of the stored mapping."""
