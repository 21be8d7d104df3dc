"""CSV and XLSX files of the dashboard and impact tables (research data: ``insights.research``)."""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from microintern.core.spreadsheets import spreadsheet_cell, spreadsheet_row

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


def export_filename(stem: str, extension: str) -> str:
    return f"{stem}-{timezone.localdate():%Y%m%d}.{extension}"
