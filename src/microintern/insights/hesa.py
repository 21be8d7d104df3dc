"""HESA coding frames for equality monitoring and widening-participation fields.

Plain Python data (no Django): models, forms and the analytics import these frames and
store the HESA *code* (a string, zero-padded as HESA writes it), never a free-text label.

Every frame marks each code with a :class:`CodeKind`:

* ``ANSWER`` – a substantive answer a student may choose;
* ``DONT_KNOW`` – "I don't know", offered to students where HESA has such a code;
* ``PREFER_NOT_TO_SAY`` – offered to students on every question;
* ``PROVIDER_ONLY`` – "not known" / "not available" codes the university records when it has
  no answer. They are **never offered to students** (:meth:`CodingFrame.student_choices`).

Source: the Data Futures coding manual (codingmanual.hesa.ac.uk, 2022/23 onwards). Labels
are written in plain English for students; the codes are HESA's. Check the current coding
manual before relying on an edge case: HESA revises frames between collection years.

These data are special-category or sensitive. They are for aggregate equality monitoring
only and must never be used to rank or decide about an individual (DPA 2018 Sch. 1 para 8).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class CodeKind(enum.Enum):
    ANSWER = "answer"
    DONT_KNOW = "dont_know"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"
    PROVIDER_ONLY = "provider_only"


@dataclass(frozen=True)
class Code:
    """One valid entry of a coding frame; ``group`` is its broad group for publication."""

    code: str
    label: str
    kind: CodeKind = CodeKind.ANSWER
    group: str | None = None


UNKNOWN_GROUP = "Unknown or not given"
"""Broad group for prefer-not-to-say, don't-know and not-available answers."""


@dataclass(frozen=True)
class CodingFrame:
    """A HESA field: its short name, the question asked, and its valid entries."""

    field: str
    question: str
    codes: tuple[Code, ...]
    multiple: bool = False
    """True when a student may give several answers (DISABILITY)."""

    def __post_init__(self) -> None:
        seen = [c.code for c in self.codes]
        if len(seen) != len(set(seen)):
            raise ValueError(f"{self.field}: duplicate codes")

    def __contains__(self, code: object) -> bool:
        return any(c.code == code for c in self.codes)

    def get(self, code: str) -> Code:
        for entry in self.codes:
            if entry.code == code:
                return entry
        raise KeyError(f"{code!r} is not a valid {self.field} code")

    def label(self, code: str) -> str:
        return self.get(code).label

    def broad_group(self, code: str) -> str:
        """The group a code is published under (coarsened; see the research export rules)."""
        entry = self.get(code)
        if entry.kind is not CodeKind.ANSWER:
            return UNKNOWN_GROUP
        return entry.group or entry.label

    def student_choices(self) -> list[tuple[str, str]]:
        """``(code, label)`` pairs to offer a student: everything except provider-only codes."""
        return [(c.code, c.label) for c in self.codes if c.kind is not CodeKind.PROVIDER_ONLY]

    def codes_of_kind(self, kind: CodeKind) -> frozenset[str]:
        return frozenset(c.code for c in self.codes if c.kind is kind)

    @property
    def prefer_not_to_say(self) -> str:
        """The code recorded when a student chooses "Prefer not to say"."""
        (code,) = self.codes_of_kind(CodeKind.PREFER_NOT_TO_SAY)
        return code

    @property
    def not_answered(self) -> frozenset[str]:
        """Codes meaning "no substantive answer" (for the disclosure-rate figures)."""
        return frozenset(c.code for c in self.codes if c.kind is not CodeKind.ANSWER)


_A = CodeKind.ANSWER
_DK = CodeKind.DONT_KNOW
_PNTS = CodeKind.PREFER_NOT_TO_SAY
_PROV = CodeKind.PROVIDER_ONLY

ASIAN, BLACK, MIXED, WHITE, OTHER = (
    "Asian or Asian British",
    "Black or Black British",
    "Mixed or multiple ethnic groups",
    "White",
    "Other ethnic group",
)

ETHNIC = CodingFrame(
    field="ETHNIC",
    question="What is your ethnic group?",
    codes=(
        Code("100", "Asian or Asian British – Bangladeshi", group=ASIAN),
        Code("101", "Asian or Asian British – Chinese", group=ASIAN),
        Code("103", "Asian or Asian British – Indian", group=ASIAN),
        Code("104", "Asian or Asian British – Pakistani", group=ASIAN),
        Code("119", "Any other Asian background", group=ASIAN),
        Code("120", "Black or Black British – African", group=BLACK),
        Code("121", "Black or Black British – Caribbean", group=BLACK),
        Code("139", "Any other Black background", group=BLACK),
        Code("140", "Mixed – White and Asian", group=MIXED),
        Code("141", "Mixed – White and Black African", group=MIXED),
        Code("142", "Mixed – White and Black Caribbean", group=MIXED),
        Code("159", "Any other Mixed or multiple background", group=MIXED),
        Code("160", "White – English, Welsh, Scottish, Northern Irish or British", group=WHITE),
        Code("163", "White – Gypsy or Irish Traveller", group=WHITE),
        Code("166", "White – Irish", group=WHITE),
        Code("168", "White – Roma", group=WHITE),
        Code("179", "Any other White background", group=WHITE),
        Code("180", "Arab", group=OTHER),
        Code("899", "Any other ethnic background", group=OTHER),
        Code("997", "Not known", _PROV),
        Code("998", "Prefer not to say", _PNTS),
        Code("999", "Not available", _PROV),
    ),
)

DISABLED, NOT_DISABLED = "Disabled", "No known disability"

DISABILITY = CodingFrame(
    field="DISABILITY",
    question=(
        "Do you have an impairment, health condition or learning difference that has a "
        "substantial and long-term impact on your ability to carry out day-to-day "
        "activities? Choose all that apply."
    ),
    multiple=True,
    codes=(
        Code(
            "95", "No known impairment, health condition or learning difference", group=NOT_DISABLED
        ),
        Code("51", "Learning difference, such as dyslexia, dyspraxia or AD(H)D", group=DISABLED),
        Code("53", "Social or communication condition, such as autism", group=DISABLED),
        Code("54", "Long-term illness or health condition", group=DISABLED),
        Code("55", "Mental health condition", group=DISABLED),
        Code("56", "Physical impairment", group=DISABLED),
        Code("57", "D/deaf or a serious hearing impairment", group=DISABLED),
        Code("58", "Blind or a serious visual impairment", group=DISABLED),
        Code("59", "Development condition you have had since childhood", group=DISABLED),
        Code(
            "96",
            "An impairment, health condition or learning difference not listed",
            group=DISABLED,
        ),
        Code("98", "Prefer not to say", _PNTS),
        Code("99", "Not available", _PROV),
    ),
)


def disability_group(codes: set[str] | frozenset[str]) -> str:
    """Broad group for a student's (possibly several) DISABILITY codes.

    Any impairment code → "Disabled"; only 95 → "No known disability"; otherwise (prefer
    not to say, not available, nothing recorded) → unknown.
    """
    groups = {DISABILITY.broad_group(code) for code in codes}
    if DISABLED in groups:
        return DISABLED
    if groups == {NOT_DISABLED}:
        return NOT_DISABLED
    return UNKNOWN_GROUP


PARED = CodingFrame(
    field="PARED",
    question=(
        "Do any of your parents (including step-parents or guardians who brought you up) "
        "have a higher education qualification, such as a degree, diploma or certificate?"
    ),
    codes=(
        Code("01", "Yes", group="Parent with a higher education qualification"),
        Code("02", "No", group="First in family"),
        Code("97", "I don't know", _DK),
        Code("98", "Prefer not to say", _PNTS),
        Code("99", "Not available", _PROV),
    ),
)

CARELEAVER = CodingFrame(
    field="CARELEAVER",
    question="Have you been in local authority care?",
    codes=(
        Code("01", "Care leaver: in care at or after age 16", group="Care experienced"),
        Code("04", "In care for 3 months or more (UCAS definition)", group="Care experienced"),
        Code("05", "Not a care leaver", group="Not care experienced"),
        Code("98", "Prefer not to say", _PNTS),
        Code("99", "Not available", _PROV),
    ),
)

SEXID = CodingFrame(
    field="SEXID",
    question="What is your sex? (as recorded on a legal document)",
    codes=(
        Code("10", "Female"),
        Code("11", "Male"),
        Code("12", "Other (a legally recognised third sex)"),
        Code("96", "Prefer not to say", _PNTS),
        Code("99", "Not available", _PROV),
    ),
)
"""HESA labels 96 "Information refused" and does not offer it by default; this project's
questionnaire is optional and offers "Prefer not to say" on every question, mapped to 96."""

GENDERID = CodingFrame(
    field="GENDERID",
    question="Is the gender you identify with the same as your sex registered at birth?",
    codes=(
        Code("01", "Yes"),
        Code("02", "No"),
        Code("98", "Prefer not to say", _PNTS),
        Code("99", "Not available", _PROV),
    ),
)

RELBLF = CodingFrame(
    field="RELBLF",
    question="What is your religion or belief?",
    codes=(
        Code("20", "No religion"),
        Code("21", "Buddhist"),
        Code("22", "Christian", group="Christian"),
        Code("23", "Christian – Church of Scotland", group="Christian"),
        Code("24", "Christian – Roman Catholic", group="Christian"),
        Code("25", "Christian – Presbyterian Church in Ireland", group="Christian"),
        Code("26", "Christian – Church of Ireland", group="Christian"),
        Code("27", "Christian – Methodist Church in Ireland", group="Christian"),
        Code("28", "Christian – other denomination", group="Christian"),
        Code("29", "Hindu"),
        Code("30", "Jewish"),
        Code("31", "Muslim"),
        Code("32", "Pagan"),
        Code("33", "Sikh"),
        Code("80", "Any other religion or belief"),
        Code("98", "Prefer not to say", _PNTS),
        Code("99", "Not available", _PROV),
    ),
)
"""Data Futures calls this field RELIGION (codes 20–33); legacy returns called it RELBLF with
codes 01–14. We keep the familiar short name and the Data Futures codes."""

SEXORT = CodingFrame(
    field="SEXORT",
    question="What is your sexual orientation?",
    codes=(
        Code("10", "Bisexual"),
        Code("11", "Gay or lesbian"),
        Code("12", "Heterosexual or straight"),
        Code("13", "Other sexual orientation"),
        Code("98", "Prefer not to say", _PNTS),
        Code("99", "Not available", _PROV),
    ),
)

FRAMES: dict[str, CodingFrame] = {
    frame.field: frame
    for frame in (ETHNIC, DISABILITY, PARED, CARELEAVER, SEXID, GENDERID, RELBLF, SEXORT)
}
"""Every equality-monitoring frame by HESA short name."""


@dataclass(frozen=True)
class DisclosureRates:
    """How fully a question was answered: counts out of ``asked`` people.

    ``missing`` counts people with no answer at all (``None``) *and* provider-only codes
    (not known / not available). Pass the counts through the disclosure module (percentages
    of fewer than 22.5 people are suppressed) before showing them.
    """

    field: str
    asked: int
    answered: int
    prefer_not_to_say: int
    dont_know: int
    missing: int


def disclosure_rates(frame: CodingFrame, answers: Iterable[str | None]) -> DisclosureRates:
    """Count substantive answers, "prefer not to say", "don't know" and missing answers.

    ``answers`` holds one code (or ``None``) per person asked; for a multiple-answer frame
    pass one representative code per person (e.g. the "98" if they chose it).
    """
    counts = dict.fromkeys(CodeKind, 0)
    missing = asked = 0
    for answer in answers:
        asked += 1
        if answer is None:
            missing += 1
            continue
        counts[frame.get(answer).kind] += 1
    return DisclosureRates(
        field=frame.field,
        asked=asked,
        answered=counts[CodeKind.ANSWER],
        prefer_not_to_say=counts[CodeKind.PREFER_NOT_TO_SAY],
        dont_know=counts[CodeKind.DONT_KNOW],
        missing=missing + counts[CodeKind.PROVIDER_ONLY],
    )


UK_DOMICILE_CODES = frozenset({"XF", "XG", "XH", "XI", "XK", "XL", "GG", "JE", "IM"})
"""Domicile codes for the UK and Crown Dependencies: any other domicile is international
(and has no UK postcode, so no IMD, POLAR4 or TUNDRA quintile)."""


def is_uk_domiciled(domicile: str) -> bool:
    return domicile.strip().upper() in UK_DOMICILE_CODES
