"""Reading and validating a student-record extract (CSV or XLSX) before anything is written.

:func:`read_extract` turns the file into ``(line, {column: text})`` pairs (line 1 is the
header, so the first student is line 2, as a spreadsheet shows it). :func:`validate_rows`
cleans each row and reports every problem as ``{line, field, problem, severity}``. Rows with
an error are left out of the import; warnings are shown but the row is imported. A damaged
file (a CSV row with more or fewer values than the header, an unclosed quote, a workbook that
cannot be opened) is refused whole with :class:`ExtractError`, naming the line.

Columns (header names are matched case-insensitively; spaces and hyphens count as ``_``):
student_number (required), email and full_name (required for a student not yet known),
programme, school, level, mode, fee_status, domicile, imd_quintile, polar4_quintile,
tundra_quintile, care_experienced, first_in_family, carer, commuter.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from microintern.accounts.models import WP_FIELDS, WP_FLAGS, WP_QUINTILES
from microintern.core.errors import Refusal

from . import codings
from .hesa import is_uk_domiciled

COLUMNS = (
    "student_number",
    "email",
    "full_name",
    "programme",
    "school",
    "level",
    "mode",
    "fee_status",
    "domicile",
    *WP_FIELDS,
)
QUINTILES, FLAGS = WP_QUINTILES, WP_FLAGS
TEXTS = ("programme", "school")
RECORD_FIELDS = (*TEXTS, "level", "mode", "fee_status", *QUINTILES, *FLAGS)
"""Fields written to both the Student and the year's PopulationRecord."""
MAX_ROWS = 500_000
TRUE_WORDS = {"y", "yes", "true", "1"}
FALSE_WORDS = {"n", "no", "false", "0"}
STUDENT_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,20}$")


class ExtractError(Refusal):
    """The file as a whole cannot be read (wrong type, no header, no student number)."""


def _normalise_header(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower())


FEED_COLUMNS = ("student_number", "email", "full_name")
"""The columns a file from the unattended feed must have (a new student needs them)."""


def read_extract(
    name: str, content: bytes, *, strict: bool = False
) -> tuple[list[str], list[tuple[int, dict]]]:
    """Return (unknown columns, [(line, row)]) from a .csv or .xlsx file's bytes.

    ``strict`` (the unattended feed, where nobody reads a warning before the rows are
    written): an unknown column, usually one renamed at the source, and a missing
    :data:`FEED_COLUMNS` column refuse the whole file instead of being warned about.
    """
    if name.lower().endswith(".xlsx"):
        rows = _xlsx_rows(content)
    elif name.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ExtractError("The CSV file is not UTF-8 text; save it as “CSV UTF-8”.") from error
        rows = _csv_rows(text)
    else:
        raise ExtractError("Upload a .csv or .xlsx file.")
    if not rows:
        raise ExtractError("The file is empty.")
    header = [_normalise_header(h) for h in rows[0]]
    if "student_number" not in header:
        raise ExtractError("The first row must name the columns, including student_number.")
    if len(rows) - 1 > MAX_ROWS:
        raise ExtractError(f"The file has more than {MAX_ROWS:,} rows.")
    unknown = [h for h in header if h and h not in COLUMNS]
    if strict and unknown:
        raise ExtractError(
            f"The first row names columns this import does not know: {', '.join(unknown)}. "
            f"The columns are {', '.join(COLUMNS)}. Nothing was imported."
        )
    missing = [c for c in FEED_COLUMNS if c not in header]
    if strict and missing:
        raise ExtractError(
            f"The first row lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. Nothing was imported."
        )
    result = []
    for line, values in enumerate(rows[1:], start=2):
        if not any(str(v or "").strip() for v in values):
            continue
        row = {
            h: str(v if v is not None else "").strip()
            for h, v in zip(header, values, strict=False)
            if h in COLUMNS
        }
        result.append((line, row))
    return unknown, result


def _csv_rows(text: str) -> list[list[str]]:
    """The CSV's rows; a damaged file (an unclosed quote, a row with more or fewer
    values than the header names) is refused whole, naming the line, because its values
    may have slid into the wrong columns or the file was cut short."""
    reader = csv.reader(io.StringIO(text), strict=True)
    rows = []
    try:
        for values in reader:
            if rows and values and len(values) != len(rows[0]):
                raise ExtractError(
                    f"Line {reader.line_num} has {len(values)} values where the first row "
                    f"names {len(rows[0])} columns: the file may be cut short, or a value "
                    "holds a comma without quotes. Nothing was imported."
                )
            rows.append(values)
    except csv.Error as error:
        raise ExtractError(
            f"Line {reader.line_num} cannot be read ({error}): the file may be damaged or "
            "cut short. Nothing was imported."
        ) from error
    return rows


def _xlsx_rows(content: bytes) -> list[list]:
    from openpyxl import load_workbook  # noqa: PLC0415 - heavy (openpyxl), loaded only when an XLSX is read

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a damaged file
        raise ExtractError("The file is not a readable .xlsx workbook.") from error
    sheet = workbook.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append([_xlsx_text(v) for v in values])
    workbook.close()
    return rows


def _xlsx_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


@dataclass
class Validation:
    rows: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    row_count: int = 0

    readings: dict = field(default_factory=dict)
    """How each code written in the file was read: {column: {written: [meaning, rows]}}."""

    def note_reading(self, column: str, written: str, meaning: str) -> None:
        seen = self.readings.setdefault(column, {}).setdefault(written, [meaning, 0])
        seen[1] += 1

    def add(self, line: int, column: str, problem: str, severity: str = "error") -> None:
        self.problems.append(
            {"line": line, "field": column, "problem": problem, "severity": severity}
        )

    @property
    def error_lines(self) -> set[int]:
        return {p["line"] for p in self.problems if p["severity"] == "error"}


def validate_rows(
    rows: Iterable[tuple[int, dict]],
    known_numbers: set[str],
    email_owners: dict[str, str],
    mapping: codings.Mapping | None = None,
) -> Validation:
    """Clean and check every row; see the module docstring for the rules.

    ``known_numbers`` are student numbers already in the database; ``email_owners`` maps
    lower-cased emails already in use to their student number (an email may not move to a
    different student). ``mapping`` says how codes are read (default: today's codings).
    """
    result = Validation()
    seen: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, row in rows:
        result.row_count += 1
        before = len(result.error_lines)
        clean: dict = {"line": line}
        number = row.get("student_number", "")
        if not number:
            result.add(line, "student_number", "Student number is missing.")
        elif not STUDENT_NUMBER.match(number):
            result.add(line, "student_number", f"“{number}” is not a valid student number.")
        elif number in seen:
            result.add(
                line,
                "student_number",
                f"Student number {number} is repeated (line {seen[number]}).",
            )
        else:
            seen[number] = line
        clean["student_number"] = number
        email = row.get("email", "").lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                result.add(line, "email", f"“{email}” is not an email address.")
            else:
                owner = email_owners.get(email)
                if owner and owner != number:
                    result.add(line, "email", "This email belongs to another student number.")
                elif email in seen_emails:
                    result.add(line, "email", f"Email repeated (line {seen_emails[email]}).")
                seen_emails[email] = line
        clean["email"] = email
        clean["full_name"] = row.get("full_name", "")
        if number and number not in known_numbers:
            if not email:
                result.add(line, "email", "A student not yet known needs an email address.")
            if not clean["full_name"]:
                result.add(line, "full_name", "A student not yet known needs a name.")
        for column in TEXTS:
            value = row.get(column, "")
            if len(value) > 200:
                result.add(line, column, "Longer than 200 characters.")
            clean[column] = value
        for column in ("level", "mode", "fee_status"):
            value = row.get(column, "")
            chosen, why_not = codings.read(column, value, mapping) if value else ("", "")
            if why_not:
                result.add(line, column, why_not)
            elif value:
                result.note_reading(column, value, chosen.label)
            clean[column] = chosen or ""
        written = row.get("domicile", "")
        domicile, why_not = codings.read_domicile(written, mapping) if written else ("", "")
        if why_not:
            result.add(line, "domicile", why_not)
        elif written:
            result.note_reading("domicile", written, domicile)
        domicile = domicile or ""
        clean["domicile"] = domicile
        for column in QUINTILES:
            value = row.get(column, "")
            clean[column] = None
            if value:
                if value in {"1", "2", "3", "4", "5"}:
                    clean[column] = int(value)
                else:
                    result.add(line, column, f"“{value}” is not a quintile from 1 to 5.")
        if domicile and not is_uk_domiciled(domicile) and any(clean[q] for q in QUINTILES):
            result.add(
                line,
                "domicile",
                "Area quintiles are given for a student domiciled outside the UK.",
                "warning",
            )
        for column in FLAGS:
            value = row.get(column, "").lower()
            if value in TRUE_WORDS:
                clean[column] = True
            elif value in FALSE_WORDS:
                clean[column] = False
            elif value in ("", "unknown", "not known"):
                clean[column] = None
            else:
                result.add(line, column, f"“{value}” is not yes, no or blank.")
                clean[column] = None
        if len(result.error_lines) == before:
            result.rows.append(clean)
    return result
