"""Research microdata for one study: pseudonymised, generalised until k-anonymous and
l-diverse (``insights.anonymity``), with a codebook, as a Frictionless Data Package.

Who is in it: students whose research consent is in force (``insights.consent``); their
equality answers (broad ethnic group, disability) only when their consent names them.
Values are those of the year of record: school, level, mode, fee status and widening-
participation flags come from the student's population record of the academic year of the
micro-internship, not from today's student record.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from microintern.accounts.enums import FeeStatus, StudyLevel, StudyMode
from microintern.accounts.models import WP_FLAGS, WP_QUINTILES, Student
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.errors import Refusal
from microintern.core.spreadsheets import spreadsheet_row
from microintern.hosts.enums import OrganisationKind
from microintern.surveys.enums import Timing
from microintern.surveys.models import Answer

from . import hesa
from .academic_year import AcademicYear, term_of
from .anonymity import WITHHELD, Hierarchy, Level, Release, anonymise, withhold
from .consent import only_consenting
from .models import EqualityMonitoring, PopulationRecord, Study
from .statistical_files import spss_and_stata

K = 5
L = 2


class ResearchKeyMissing(Refusal):
    """No MICROINTERN_RESEARCH_KEY: exporting would need a key kept with the data."""


def study_key(study: Study) -> bytes:
    """The study's own key: HMAC-SHA256(research key, "study:" + salt)."""
    key = settings.MICROINTERN_RESEARCH_KEY
    if not key:
        raise ResearchKeyMissing(
            "Set MICROINTERN_RESEARCH_KEY (or MICROINTERN_RESEARCH_KEY_FILE) to export."
        )
    return hmac.new(key.encode(), f"study:{study.salt}".encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, kind: str, value: object) -> str:
    """HMAC-SHA256(study key, kind + ":" + value) in hex: stable within a study, unlinkable
    across studies and without the research key."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _took_part(row) -> str:
    return "took part" if row["outcome"] == PlaceState.ATTENDED else "did not take part"


def _quintile_band(column: str):
    def band(row) -> str:
        value = row[column]
        if value in ("", None):
            return ""
        return "1–2" if int(value) <= 2 else "3–5"

    return band


HIERARCHIES = [
    Hierarchy("micro_internship", (withhold("micro-internship → withheld"),)),
    Hierarchy("term", (withhold("term → withheld (academic year kept)"),)),
    Hierarchy(
        "host_sector",
        (
            Level("host sector → kind of organisation", lambda row: row["_host_kind"]),
            withhold("kind of organisation → withheld"),
        ),
    ),
    Hierarchy("school", (withhold("school → withheld"),)),
    Hierarchy(
        "outcome",
        (Level("outcome → took part / did not", _took_part), withhold("outcome → withheld")),
    ),
    Hierarchy("level", (withhold("level of study → withheld"),)),
    Hierarchy("mode", (withhold("mode of study → withheld"),)),
    Hierarchy("fee_status", (withhold("fee status → withheld"),)),
    *(
        Hierarchy(
            column,
            (
                Level(f"{column} → 1–2 / 3–5", _quintile_band(column)),
                withhold(f"{column} → withheld"),
            ),
        )
        for column in WP_QUINTILES
    ),
    *(Hierarchy(column, (withhold(f"{column} → withheld"),)) for column in WP_FLAGS),
    Hierarchy("academic_year", (withhold("academic year → withheld"),)),
]
SENSITIVE = ["ethnic_group", "disability"]
COLUMNS = [
    "pid",
    "academic_year",
    "term",
    "micro_internship",
    "host_sector",
    "outcome",
    "school",
    "level",
    "mode",
    "fee_status",
    *WP_QUINTILES,
    *WP_FLAGS,
    *SENSITIVE,
]
NOT_CONSENTED = "not consented"


def _flag(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def interest_rows(key: bytes) -> tuple[list[dict], int]:
    """Raw rows (before anonymisation), one per verified expression of interest of a student
    with consent in force, and how many students' equality answers their consent excludes."""
    interests = list(
        only_consenting(ExpressionOfInterest.objects.filter(verified_at__isnull=False), "student")
        .order_by("micro_internship__starts_at", "pk")
        .values_list(
            "student",
            "student__student_number",
            "micro_internship",
            "micro_internship__starts_at",
            "micro_internship__challenge__organisation__sector",
            "micro_internship__challenge__organisation__kind",
            "state",
        )
    )
    students = {row[0] for row in interests}
    records = {
        (r["student"], r["academic_year"]): r
        for r in PopulationRecord.objects.filter(student__in=students).values(
            "student",
            "academic_year",
            "school",
            "level",
            "mode",
            "fee_status",
            *WP_QUINTILES,
            *WP_FLAGS,
        )
    }
    equality_ok = set(
        only_consenting(Student.objects.filter(pk__in=students), "pk", equality=True).values_list(
            "pk", flat=True
        )
    )
    equality = {
        student: (ethnicity, disability)
        for student, ethnicity, disability in EqualityMonitoring.objects.filter(
            student__in=equality_ok
        ).values_list("student", "ethnicity", "disability_group")
    }
    kinds = dict(OrganisationKind.choices)
    rows = []
    for student, number, mi, starts, sector, kind, state in interests:
        year = str(AcademicYear.containing(starts))
        record = records.get((student, year), {})
        if student in equality_ok:
            ethnicity, disability = equality.get(student, ("", ""))
            ethnic_group = hesa.ETHNIC.broad_group(ethnicity) if ethnicity else hesa.UNKNOWN_GROUP
            disability = disability or hesa.UNKNOWN_GROUP
        else:
            ethnic_group = disability = WITHHELD
        rows.append(
            {
                "pid": pseudonym(key, "student", number),
                "_student": student,
                "_micro_internship": mi,
                "_host_kind": kinds.get(kind, kind or ""),
                "academic_year": year,
                "term": term_of(starts),
                "micro_internship": pseudonym(key, "micro-internship", mi)[:16],
                "host_sector": sector or "",
                "outcome": state,
                "school": record.get("school", ""),
                "level": record.get("level", ""),
                "mode": record.get("mode", ""),
                "fee_status": record.get("fee_status", ""),
                **{c: "" if record.get(c) is None else record[c] for c in WP_QUINTILES},
                **{c: _flag(record.get(c)) for c in WP_FLAGS},
                "ethnic_group": ethnic_group,
                "disability": disability,
            }
        )
    return rows, len(students - equality_ok)


SURVEY_COLUMNS = [
    "pid",
    "response",
    "micro_internship",
    "instrument",
    "version",
    "item",
    "scale",
    "timing",
    "answer",
]


def survey_rows(key: bytes, release: Release) -> list[dict]:
    """Rating and yes/no answers of the people released, one row each (free text never).
    The micro-internship pseudonym only where the interest file releases it."""
    released = {row["_student"] for row in release.rows}
    show_mi = release.levels.get("micro_internship", 0) == 0
    answers = (
        only_consenting(
            Answer.objects.filter(number__isnull=False), "response__invitation__student"
        )
        .filter(response__invitation__student__in=released)
        .order_by("response_id", "item__position")
        .values_list(
            "response__invitation__student__student_number",
            "response_id",
            "response__micro_internship",
            "response__version__instrument__slug",
            "response__version__number",
            "item__code",
            "item__scale",
            "item__timing",
            "number",
        )
    )
    rows = []
    for number, response, mi, slug, version, code, scale, timing, value in answers:
        rows.append(
            {
                "pid": pseudonym(key, "student", number),
                "response": pseudonym(key, "response", response)[:16],
                "micro_internship": (
                    pseudonym(key, "micro-internship", mi)[:16] if show_mi and mi else WITHHELD
                ),
                "instrument": slug,
                "version": version,
                "item": code,
                "scale": scale,
                "timing": timing,
                "answer": value,
            }
        )
    return rows


@dataclass
class StudyExport:
    """A study's release: the protected rows, the survey answers and what was done."""

    study: Study
    release: Release
    surveys: list[dict]
    equality_not_consented: int


def build_export(study: Study) -> StudyExport:
    """The study's microdata, anonymised (k = 5 people, l = 2 values)."""
    key = study_key(study)
    rows, not_consented = interest_rows(key)
    release = anonymise(rows, person="pid", hierarchies=HIERARCHIES, sensitive=SENSITIVE, k=K, l=L)
    return StudyExport(study, release, survey_rows(key, release), not_consented)


def _csv(columns: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(spreadsheet_row([row[c] for c in columns]) for row in rows)
    return out.getvalue()


def _categories(choices) -> list[dict]:
    return [{"value": value, "label": str(label)} for value, label in choices]


def codebook() -> dict[str, dict]:
    """Field descriptions and value labels of both files (Frictionless Table Schema fields)."""
    withheld = {"value": WITHHELD, "label": "Withheld to protect people (see the report)"}
    not_recorded = {"value": "", "label": "Not recorded"}
    flags = [
        {"value": "yes", "label": "Yes"},
        {"value": "no", "label": "No"},
        {"value": "", "label": "Not known"},
    ]
    quintile = [{"value": str(q), "label": f"Quintile {q}"} for q in range(1, 6)] + [
        {"value": "1–2", "label": "Quintile 1 or 2 (most deprived / lowest participation)"},
        {"value": "3–5", "label": "Quintile 3, 4 or 5"},
        {"value": "", "label": "None (no UK home postcode) or not known"},
    ]
    outcome = _categories(PlaceState.choices) + [
        {"value": "took part", "label": "Attended"},
        {"value": "did not take part", "label": "Any other outcome"},
    ]
    fields = {
        "pid": (
            "Pseudonym of the student, this study only (HMAC-SHA256 under the study key)",
            None,
        ),
        "academic_year": ("Academic year of the micro-internship (1 August – 31 July)", None),
        "term": ("Term of the micro-internship (Autumn: Aug–Dec, Spring: Jan–Apr, Summer)", None),
        "micro_internship": ("Pseudonym of the micro-internship, this study only", None),
        "host_sector": ("Sector of the host, or its kind of organisation when generalised", None),
        "outcome": ("What became of the expression of interest", outcome),
        "school": ("School in the year of record", None),
        "level": ("Level of study in the year of record", _categories(StudyLevel.choices)),
        "mode": ("Mode of study in the year of record", _categories(StudyMode.choices)),
        "fee_status": ("Fee status in the year of record", _categories(FeeStatus.choices)),
        "imd_quintile": ("Index of Multiple Deprivation quintile of the home area", quintile),
        "polar4_quintile": ("POLAR4 participation quintile of the home area", quintile),
        "tundra_quintile": ("TUNDRA participation quintile of the home area", quintile),
        "care_experienced": ("Care experienced (student record)", flags),
        "first_in_family": ("First in family to go to university (student record)", flags),
        "carer": ("Carer (student record)", flags),
        "commuter": ("Commuter student (student record)", flags),
        "ethnic_group": (
            "Broad ethnic group (HESA ETHNIC), only with the student's equality consent",
            [
                {"value": g, "label": g}
                for g in dict.fromkeys(hesa.ETHNIC.broad_group(c.code) for c in hesa.ETHNIC.codes)
            ],
        ),
        "disability": (
            "Disabled / not disabled (HESA DISABILITY), only with the student's equality consent",
            [
                {"value": g, "label": g}
                for g in ("Disabled", "No known disability", hesa.UNKNOWN_GROUP)
            ],
        ),
        "response": ("Pseudonym of the survey response (pairs answers of one questionnaire)", None),
        "instrument": ("Survey instrument", None),
        "version": ("Instrument version", None),
        "item": ("Item code (stable across versions)", None),
        "scale": ("Scale the item belongs to", None),
        "timing": ("Now, or looking back at before the day", _categories(Timing.choices)),
        "answer": ("The answer (rating or 1 = yes / 0 = no)", None),
    }
    book = {}
    for name, (description, categories) in fields.items():
        entry = {"name": name, "type": "integer" if name in ("version", "answer") else "string"}
        entry["description"] = description
        if categories is not None:
            blank = [] if any(c["value"] == "" for c in categories) else [not_recorded]
            entry["categories"] = [*categories, *blank, withheld]
        book[name] = entry
    return book


def datapackage(export: StudyExport) -> dict:
    """The Frictionless Data Package descriptor (datapackage.json) of a study's export."""
    book = codebook()
    release = export.release
    return {
        "name": f"microintern-study-{export.study.pk}",
        "title": f"Micro-internships research data: {export.study.name}",
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "description": (
            f"{release.people} students with research consent; every student shares their "
            f"values with at least {K - 1} others (k = {K}) and special categories show at "
            f"least {L} distinct values in each such group (l = {L}). Generalised: "
            + ("; ".join(release.steps) or "nothing")
            + f". Withheld: {release.people_withheld} students."
        ),
        "licenses": [{"name": "other-closed", "title": "Under the study's data-sharing agreement"}],
        "resources": [
            {
                "name": "interests",
                "path": "interests.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": [book[c] for c in COLUMNS]},
            },
            {
                "name": "survey_answers",
                "path": "survey_answers.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [book[c] for c in SURVEY_COLUMNS],
                    "foreignKeys": [
                        {"fields": "pid", "reference": {"resource": "interests", "fields": "pid"}}
                    ],
                },
            },
        ],
    }


def package_zip(export: StudyExport) -> bytes:
    """datapackage.json and the two CSV files in one zip, and each table again as SPSS and
    Stata files with the codebook's variable and value labels."""
    book = codebook()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(datapackage(export), indent=2))
        for name, columns, rows in (
            ("interests", COLUMNS, export.release.rows),
            ("survey_answers", SURVEY_COLUMNS, export.surveys),
        ):
            archive.writestr(f"{name}.csv", _csv(columns, rows))
            for filename, content in spss_and_stata(name, columns, rows, book).items():
                archive.writestr(filename, content)
    return buffer.getvalue()
