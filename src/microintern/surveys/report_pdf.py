"""The annual impact report (PDF, fpdf2): headline figures, a chart, change per scale, host
outcomes and consented quotes. Every figure comes from the same disclosure-controlled
tables as the dashboard; quotes only from students with active research consent that
includes quotes, and hosts who said yes to being quoted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from microintern.core.tagged_pdf import tagged_pdf
from microintern.insights import queries
from microintern.insights.academic_year import AcademicYear
from microintern.insights.consent import only_consenting
from microintern.insights.disclosure import OutputMode
from microintern.insights.report import DisplayTable, funnel_table

from .enums import InstrumentKind, ResponseType
from .impact import cached_impact_tables
from .models import Answer

if TYPE_CHECKING:
    from fpdf import FPDF

UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_BOLD = UNICODE_FONT.with_name("DejaVuSans-Bold.ttf")
MAX_QUOTES = 6


def consented_quotes(year: AcademicYear | None = None) -> list[str]:
    """Open answers from students with active consent to quotes, and hosts who agreed
    (about micro-internships of ``year``, or all years)."""
    student = (
        only_consenting(Answer.objects, "response__invitation__student", quotes=True)
        .filter(
            response__version__instrument__kind=InstrumentKind.STUDENT_POST,
            item__response_type=ResponseType.TEXT,
        )
        .exclude(text="")
    )
    host = Answer.objects.filter(
        item__code="host_comments",
        response__answers__item__code="host_quote_ok",
        response__answers__number=1,
    ).exclude(text="")
    if year is not None:
        of_year = {
            "response__micro_internship__starts_at__gte": year.starts,
            "response__micro_internship__starts_at__lt": year.ends,
        }
        student, host = student.filter(**of_year), host.filter(**of_year)
    quotes = [f"“{t}” – a student" for t in student.values_list("text", flat=True)[:MAX_QUOTES]]
    quotes += [f"“{t}” – a host" for t in host.values_list("text", flat=True)[:MAX_QUOTES]]
    return quotes[: MAX_QUOTES * 2]


def report_years() -> list[AcademicYear]:
    """Academic years with data, latest first."""
    return [AcademicYear.parse(y) for y in queries.population_years()]


@dataclass
class ReportContent:
    """What the annual report says: its title, the funnel and impact tables and quotes."""

    title: str
    funnel: DisplayTable
    tables: list[DisplayTable]
    quotes: list[str]


def report_content(
    mode: OutputMode = OutputMode.ROUNDED, year: AcademicYear | None = None
) -> ReportContent:
    """The annual report of ``year`` (all years when None; the funnel is then the latest
    year's, as the dashboard only counts one year's eligible population at a time)."""
    funnel_year = year or next(iter(report_years()), AcademicYear.containing(timezone.now()))
    funnel = funnel_table(
        queries.funnel(queries.Filters(funnel_year), "imd"), queries.CHARACTERISTICS["imd"], mode
    )
    title = f"Micro-internships: impact report {year or 'all years'}"
    return ReportContent(title, funnel, cached_impact_tables(mode, year), consented_quotes(year))


def annual_report(mode: OutputMode = OutputMode.ROUNDED, year: AcademicYear | None = None) -> bytes:
    """The impact report of ``year`` (all years when None), as a tagged PDF: headings,
    paragraphs and tables a screen reader reads in order, the chart as a figure described
    in words."""
    content = report_content(mode, year)
    funnel = content.funnel
    pdf = tagged_pdf(format="A4")
    pdf.set_title(content.title)
    pdf.set_author(settings.MICROINTERN["SITE_NAME"])
    pdf.set_lang("en-GB")
    family = "Helvetica"
    if UNICODE_FONT.exists() and UNICODE_BOLD.exists():
        pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
        pdf.add_font("DejaVu", style="B", fname=str(UNICODE_BOLD))
        family = "DejaVu"
    pdf.set_font(family)

    def text(value: str, size: int = 10, gap: float = 2, tag: str = "P") -> None:
        if family == "Helvetica":
            value = value.encode("latin-1", "replace").decode("latin-1")
        pdf.paragraph(value, size=size, tag=tag, gap=gap)

    pdf.add_page()
    text(content.title, 20, 4, tag="H1")
    text(mode.label + ("  RESTRICTED – NOT FOR PUBLICATION" if mode.restricted else ""), 9, 4)
    totals = funnel.rows[-1]
    text("Headline figures", 14, 2, tag="H2")
    for label, value in zip(funnel.header[1:7], totals[1:7], strict=True):
        text(f"{label}: {value}", 11, 0)
    text(f"Reach (attended ÷ eligible): {totals[7]} (95% CI {totals[8]})", 11, 4)
    _bar_chart(pdf, family, funnel, text)
    for table in content.tables:
        _table(pdf, table, text)
    if content.quotes:
        text("In their own words", 14, 2, tag="H2")
        for quote in content.quotes:
            text(quote, 10, 2)
    return bytes(pdf.output())


def chart_description(table: DisplayTable) -> str:
    """The chart in words, for a screen reader: each bar's label, value and interval."""
    parts = [
        f"{label}: {'..' if value is None else f'{100 * value:.1f}%'}"
        + ("" if value is None else f" (95% CI {100 * low:.1f}% to {100 * high:.1f}%)")
        for label, value, low, high in table.chart["bars"]
    ]
    return f"{table.chart['title']}. " + "; ".join(parts) + "."


def _bar_chart(pdf: FPDF, family: str, table: DisplayTable, text) -> None:
    bars = table.chart["bars"]
    text(table.chart["title"], 12, 0, tag="H2")
    pdf.set_font(family, size=9)
    if pdf.get_y() + len(bars) * 8 + 4 > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y() + 2
    scale = max([0.05, *(h for _, v, _, h in bars if v is not None)])
    with pdf.tagged("Figure", alt=chart_description(table)):
        for i, (label, value, low, high) in enumerate(bars):
            y = top + i * 8
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(35, 6, label[:20])
            if value is None:
                pdf.cell(20, 6, "..")
                continue
            pdf.set_fill_color(29, 94, 140)
            pdf.rect(pdf.l_margin + 36, y + 1, 110 * value / scale, 4, style="F")
            pdf.set_draw_color(179, 89, 0)
            pdf.line(
                pdf.l_margin + 36 + 110 * low / scale,
                y + 3,
                pdf.l_margin + 36 + 110 * high / scale,
                y + 3,
            )
            pdf.set_xy(pdf.l_margin + 150, y)
            pdf.cell(20, 6, f"{100 * value:.1f}%")
    pdf.set_y(top + len(bars) * 8 + 4)


def _table(pdf: FPDF, table: DisplayTable, text) -> None:
    text(table.title, 13, 1, tag="H2")
    pdf.tagged_table(
        [str(v) for v in table.header], [[str(v) for v in row] for row in table.rows], size=8
    )
    pdf.ln(2)
    if table.note:
        text(table.note, 8, 4)
