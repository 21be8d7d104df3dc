"""The inclusivity dashboard and its exports (staff and researchers; aggregates only)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render

from microintern.core.permissions import permission_required

from .. import exports, queries
from ..charts import bar_chart
from ..disclosure import OutputMode
from ..forms import DashboardFilterForm
from ..report import dashboard_tables

VIEW = "microintern.view_insights"


def _dashboard(request):
    """Run the constant set of queries and build the protected tables."""
    choices = queries.filter_choices(request.GET.get("year"))
    form = DashboardFilterForm(
        request.GET or None,
        choices,
        allow_unrounded=request.user.has_perm("insights.view_unrounded"),
    )
    chosen = form.settings()
    filters = queries.Filters(chosen["year"], chosen["school"], chosen["sector"])
    mode = OutputMode.UNROUNDED if chosen["unrounded"] else OutputMode.ROUNDED
    by_school = queries.funnel(filters, chosen["characteristic"], "school")
    pair = None
    if chosen["second"] == "school":
        pair = by_school
    elif chosen["second"]:
        pair = queries.funnel(filters, chosen["characteristic"], chosen["second"])
    data = {
        "characteristic": chosen["characteristic"],
        "second": chosen["second"],
        "funnel": queries.collapse(by_school),
        "by_school": by_school,
        "pair": pair,
        "disclosure": queries.disclosure_counts(filters),
    }
    tables = dashboard_tables(data, mode)
    described = [f"Academic year {filters.year}"]
    if filters.school:
        described.append(f"school: {filters.school}")
    if filters.sector:
        described.append(f"host sector: {filters.sector}")
    return form, tables, mode, ", ".join(described)


@permission_required(VIEW)
def dashboard(request):
    form, tables, mode, filters_text = _dashboard(request)
    for index, table in enumerate(tables):
        table.svg = bar_chart(table.chart, f"chart-{index}") if table.chart else ""
    return render(
        request,
        "insights/staff/dashboard.html",
        {
            "form": form,
            "tables": tables,
            "mode": mode,
            "filters_text": filters_text,
            "query": request.GET.urlencode(),
            "can_import": request.user.has_perm("insights.import_population"),
            "can_export_research": request.user.has_perm("insights.export_research"),
        },
    )


@permission_required(VIEW)
def export_table(request, key: str, extension: str):
    form, tables, mode, filters_text = _dashboard(request)
    if key == "all" and extension == "xlsx":
        chosen = tables
    else:
        chosen = [t for t in tables if t.key == key]
        if not chosen:
            raise Http404
    stem = f"microintern-{key}" + ("-RESTRICTED" if mode.restricted else "")
    if extension == "csv" and len(chosen) == 1:
        content = exports.table_csv(chosen[0], mode, filters_text)
        content_type = "text/csv; charset=utf-8"
    elif extension == "xlsx":
        content = exports.tables_xlsx(chosen, mode, filters_text)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.export_filename(stem, extension)}"'
    )
    return response
