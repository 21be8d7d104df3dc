"""CSV and XLSX files of the dashboard tables, and the pseudonymised research export."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io

from django.conf import settings
from django.utils import timezone

from microintern.accounts.models import WP_FIELDS
from microintern.applications.models import ExpressionOfInterest
from microintern.core.errors import Refusal
from microintern.core.spreadsheets import spreadsheet_cell, spreadsheet_row
from microintern.surveys.models import Answer

from . import hesa
from .academic_year import AcademicYear, term_of
from .disclosure import OutputMode
from .report import DisplayTable


def _preamble(table: DisplayTable, mode: OutputMode, filters_text: str) -> list[list[str]]:
    lines = [[table.title], [mode.label], [filters_text]]
    if table.note:
        lines.append([table.note])
    return [*lines, []]


def _csv(rows) -> str:
    """The rows as CSV text, every cell that could be read as a formula neutralised."""
    out = io.StringIO()
    csv.writer(out).writerows(spreadsheet_row(row) for row in rows)
    return out.getvalue()


def table_csv(table: DisplayTable, mode: OutputMode, filters_text: str) -> bytes:
    rows = [*_preamble(table, mode, filters_text), table.header, *table.rows]
    return ("\ufeff" + _csv(rows)).encode("utf-8")


def _cell(value: str):
    """Whole-number figures become numbers in the spreadsheet; everything else stays text."""
    return int(value) if value.isdigit() else spreadsheet_cell(value)


def _append(sheet, values) -> None:
    """Add a row of values; text is always a string cell, never a formula."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def tables_xlsx(tables: list[DisplayTable], mode: OutputMode, filters_text: str) -> bytes:
    """One worksheet per table, figures exactly as displayed (".." for suppressed)."""
    from openpyxl import Workbook  # noqa: PLC0415 - heavy (openpyxl), loaded only when an XLSX is built
    from openpyxl.styles import Font  # noqa: PLC0415 - heavy (openpyxl), loaded only when an XLSX is built

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.key[:31])
        for line in _preamble(table, mode, filters_text):
            _append(sheet, [_cell(value) for value in line])
        _append(sheet, [_cell(value) for value in table.header])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            _append(sheet, [_cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------
# Pseudonymised research export
# ---------------------------------------------------------------------------------------


class ResearchKeyMissing(Refusal):
    """No MICROINTERN_RESEARCH_KEY: exporting would need a key kept with the data."""


def pseudonym(student_number: str, key: str | None = None) -> str:
    """HMAC-SHA256(key, student number) in hex: stable per student, unlinkable without the key."""
    key = settings.MICROINTERN_RESEARCH_KEY if key is None else key
    if not key:
        raise ResearchKeyMissing(
            "Set MICROINTERN_RESEARCH_KEY (or MICROINTERN_RESEARCH_KEY_FILE) to export."
        )
    return hmac.new(key.encode(), student_number.encode(), hashlib.sha256).hexdigest()


RESEARCH_COLUMNS = [
    "pid",
    "academic_year",
    "term",
    "host_sector",
    "outcome",
    "school",
    "level",
    "mode",
    "fee_status",
    *WP_FIELDS,
    "ethnic_group",
    "disability",
]


def research_rows() -> list[list]:
    """One row per expression of interest by a student with active research consent.

    Coarsened quasi-identifiers: date → term, host → sector, ethnicity → broad group,
    disability → disabled / not / unknown. No names, emails, student numbers, statements or
    free text. Withdrawn consent (``withdrawn_at`` set) excludes the student.
    """
    key = settings.MICROINTERN_RESEARCH_KEY
    if not key:
        raise ResearchKeyMissing("Set MICROINTERN_RESEARCH_KEY to export research data.")
    interests = (
        ExpressionOfInterest.objects.filter(
            verified_at__isnull=False,
            student__research_consents__withdrawn_at__isnull=True,
            student__research_consents__given_at__isnull=False,
        )
        .order_by("micro_internship__starts_at", "pk")
        .values_list(
            "student__student_number",
            "micro_internship__starts_at",
            "micro_internship__challenge__organisation__sector",
            "state",
            "student__school",
            "student__level",
            "student__mode",
            "student__fee_status",
            *(f"student__{field}" for field in WP_FIELDS),
            "student__equality_monitoring__ethnicity",
            "student__equality_monitoring__disability_group",
        )
    )
    rows = []
    for number, starts, sector, state, *record, ethnicity, disability in interests:
        rows.append(
            [
                pseudonym(number, key),
                str(AcademicYear.containing(starts)),
                term_of(starts),
                sector,
                state,
                *["" if value is None else value for value in record],
                hesa.ETHNIC.broad_group(ethnicity) if ethnicity else hesa.UNKNOWN_GROUP,
                disability or hesa.UNKNOWN_GROUP,
            ]
        )
    return rows


def research_csv() -> bytes:
    return _csv([RESEARCH_COLUMNS, *research_rows()]).encode("utf-8")


def export_filename(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.{extension}"


SURVEY_COLUMNS = [
    "pid",
    "instrument",
    "version",
    "term",
    "host_sector",
    "item",
    "scale",
    "timing",
    "answer",
]


def research_survey_rows() -> list[list]:
    """Rating and yes/no answers of students with active research consent, one row each.

    Same pseudonym as :func:`research_rows`, so the two files join on ``pid``. Free-text
    answers are left out (they can identify people); the submission date is coarsened to
    the term and the host to its sector.
    """
    key = settings.MICROINTERN_RESEARCH_KEY
    if not key:
        raise ResearchKeyMissing("Set MICROINTERN_RESEARCH_KEY to export research data.")
    answers = (
        Answer.objects.filter(
            number__isnull=False,
            response__invitation__student__research_consents__withdrawn_at__isnull=True,
            response__invitation__student__research_consents__given_at__isnull=False,
        )
        .order_by("response__submitted_at", "response_id", "item__position")
        .values_list(
            "response__invitation__student__student_number",
            "response__version__instrument__slug",
            "response__version__number",
            "response__submitted_at",
            "response__micro_internship__challenge__organisation__sector",
            "item__code",
            "item__scale",
            "item__timing",
            "number",
        )
    )
    return [
        [pseudonym(number, key), slug, version, term_of(submitted), sector or "", *rest]
        for number, slug, version, submitted, sector, *rest in answers
    ]


def research_survey_csv() -> bytes:
    return _csv([SURVEY_COLUMNS, *research_survey_rows()]).encode("utf-8")
