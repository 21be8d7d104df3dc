"""The inclusivity dashboard and its exports (staff and researchers; aggregates only)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render

from microintern.core.domain import log_activity
from microintern.core.permissions import permission_required

from .. import exports, queries
from ..charts import bar_chart
from ..disclosure import OutputMode, published_counts, too_narrow
from ..forms import DashboardFilterForm
from ..report import dashboard_tables

VIEW = "microintern.view_insights"


def _dashboard(request, *, what: str):
    """Run the constant set of queries and build the protected tables.

    A view too narrow to publish (see :func:`disclosure.too_narrow`) gets no tables, only
    the reason. Every unrounded view or download is logged with its filters.
    """
    choices = queries.filter_choices(request.GET.get("year"))
    form = DashboardFilterForm(
        request.GET or None,
        choices,
        allow_unrounded=request.user.has_perm("insights.view_unrounded"),
    )
    chosen = form.settings()
    filters = queries.Filters(chosen["year"], chosen["school"], chosen["sector"])
    mode = OutputMode.UNROUNDED if chosen["unrounded"] else OutputMode.ROUNDED
    described = [f"Academic year {filters.year}"]
    if filters.school:
        described.append(f"school: {filters.school}")
    if filters.sector:
        described.append(f"host sector: {filters.sector}")
    filters_text = ", ".join(described)
    if mode.restricted:
        log_activity(
            request.user,
            "insights.unrounded_view",
            actor=request.user,
            what=what,
            filters=filters_text,
            characteristic=chosen["characteristic"],
            second=chosen["second"],
        )
    by_school = queries.funnel(filters, chosen["characteristic"], "school")
    funnel = queries.collapse(by_school)
    (interested,) = published_counts([sum(row["interested"] for row in funnel)], mode)
    narrow = too_narrow(
        mode,
        micro_internships=queries.micro_internships_in_view(filters),
        interested=interested,
    )
    if narrow:
        return form, [], mode, filters_text, narrow
    within_one_school = bool(filters.school) and not mode.restricted
    second = "" if within_one_school else chosen["second"]
    pair = None
    if second == "school":
        pair = by_school
    elif second:
        pair = queries.funnel(filters, chosen["characteristic"], second)
    data = {
        "characteristic": chosen["characteristic"],
        "second": second,
        "funnel": funnel,
        "by_school": by_school,
        "pair": pair,
        "disclosure": queries.disclosure_counts(filters),
    }
    if within_one_school:
        filters_text += (
            " (within one school the page shows that school's figures from the whole-year "
            "tables, without a second characteristic or a breakdown by school)"
        )
        every_school = queries.Filters(filters.year, "", filters.sector)
        data["school"] = filters.school
        data["school_rows"] = queries.funnel(every_school, chosen["characteristic"], "school")
    return form, dashboard_tables(data, mode), mode, filters_text, ""


def _page(request, form, tables, mode, filters_text, narrow, status=200):
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
            "narrow": narrow,
            "query": request.GET.urlencode(),
            "can_import": request.user.has_perm("insights.import_population"),
            "can_export_research": request.user.has_perm("insights.export_research"),
        },
        status=status,
    )


@permission_required(VIEW)
def dashboard(request):
    return _page(request, *_dashboard(request, what="dashboard"))


@permission_required(VIEW)
def export_table(request, key: str, extension: str):
    form, tables, mode, filters_text, narrow = _dashboard(request, what=f"{key}.{extension}")
    if narrow:
        return _page(request, form, tables, mode, filters_text, narrow, status=409)
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
