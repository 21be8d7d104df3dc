"""The impact report (staff and researchers): change per scale, hosts, lottery comparison."""

from django.http import Http404, HttpResponse
from django.shortcuts import render

from microintern.core.permissions import permission_required
from microintern.insights import exports
from microintern.insights.disclosure import OutputMode

from ..impact import impact_tables
from ..report_pdf import annual_report


def _mode(request) -> OutputMode:
    if request.GET.get("unrounded") and request.user.has_perm("insights.view_unrounded"):
        return OutputMode.UNROUNDED
    return OutputMode.ROUNDED


@permission_required("microintern.view_insights")
def impact_report(request):
    mode = _mode(request)
    return render(
        request,
        "surveys/impact.html",
        {
            "tables": impact_tables(mode),
            "mode": mode,
            "can_unround": request.user.has_perm("insights.view_unrounded"),
            "can_edit": request.user.has_perm("microintern.use_back_office"),
        },
    )


@permission_required("microintern.view_insights")
def impact_pdf(request):
    response = HttpResponse(annual_report(_mode(request)), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="microintern-impact-report.pdf"'
    return response


@permission_required("microintern.view_insights")
def impact_export(request, key: str, extension: str):
    """Each impact table as CSV or XLSX (``all.xlsx``: every table), as displayed."""
    mode = _mode(request)
    tables = impact_tables(mode)
    chosen = tables if key == "all" else [t for t in tables if t.key == key]
    if not chosen or extension not in ("csv", "xlsx") or (extension == "csv" and key == "all"):
        raise Http404
    note = "Survey answers, all years"
    if extension == "csv":
        content = exports.table_csv(chosen[0], mode, note)
        content_type = "text/csv; charset=utf-8"
    else:
        content = exports.tables_xlsx(chosen, mode, note)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    stem = f"microintern-impact-{key}" + ("-RESTRICTED" if mode.restricted else "")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.export_filename(stem, extension)}"'
    )
    return response
