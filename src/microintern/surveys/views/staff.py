"""The impact report (staff and researchers): change per scale, hosts, lottery comparison."""

from django.http import Http404, HttpResponse
from django.shortcuts import render

from microintern.core.permissions import permission_required
from microintern.insights import exports
from microintern.insights.disclosure import OutputMode

from ..impact import cached_impact_tables
from ..report_pdf import annual_report, report_years


def _mode(request) -> OutputMode:
    if request.GET.get("unrounded") and request.user.has_perm("insights.view_unrounded"):
        return OutputMode.UNROUNDED
    return OutputMode.ROUNDED


def _year(request):
    """The academic year asked for (``?year=2026/27``), None for ``?year=all``; by default
    the latest year with data. Returns (year or None, its text, the choices)."""
    years = report_years()
    asked = request.GET.get("year") or (str(years[0]) if years else "all")
    chosen = next((y for y in years if str(y) == asked), None)
    return chosen, str(chosen) if chosen else "all", [str(y) for y in years]


@permission_required("microintern.view_insights")
def impact_report(request):
    mode = _mode(request)
    year, year_text, years = _year(request)
    return render(
        request,
        "surveys/impact.html",
        {
            "tables": cached_impact_tables(mode, year),
            "year": year_text,
            "years": years,
            "mode": mode,
            "can_unround": request.user.has_perm("insights.view_unrounded"),
            "can_edit": request.user.has_perm("microintern.use_back_office"),
        },
    )


@permission_required("microintern.view_insights")
def impact_pdf(request):
    year, year_text, _ = _year(request)
    response = HttpResponse(annual_report(_mode(request), year), content_type="application/pdf")
    name = f"microintern-impact-report-{year_text.replace('/', '-')}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@permission_required("microintern.view_insights")
def impact_export(request, key: str, extension: str):
    """Each impact table as CSV or XLSX (``all.xlsx``: every table), as displayed."""
    mode = _mode(request)
    year, year_text, _ = _year(request)
    tables = cached_impact_tables(mode, year)
    chosen = tables if key == "all" else [t for t in tables if t.key == key]
    if not chosen or extension not in ("csv", "xlsx") or (extension == "csv" and key == "all"):
        raise Http404
    note = "Survey answers, all years" if year is None else f"Academic year {year_text}"
    if extension == "csv":
        content = exports.table_csv(chosen[0], mode, note)
        content_type = "text/csv; charset=utf-8"
    else:
        content = exports.tables_xlsx(chosen, mode, note)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    stem = f"microintern-impact-{key}-{year_text.replace('/', '-')}" + (
        "-RESTRICTED" if mode.restricted else ""
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.export_filename(stem, extension)}"'
    )
    return response
