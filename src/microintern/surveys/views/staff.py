"""The impact report (staff and researchers): change per scale, hosts, lottery comparison."""

from django.http import HttpResponse
from django.shortcuts import render

from microintern.core.permissions import permission_required
from microintern.insights.disclosure import OutputMode

from .. import impact


def _mode(request) -> OutputMode:
    if request.GET.get("unrounded") and request.user.has_perm("insights.view_unrounded"):
        return OutputMode.UNROUNDED
    return OutputMode.ROUNDED


def impact_tables(mode: OutputMode):
    return [
        impact.change_table(impact.changes(), mode),
        impact.host_outcomes(mode),
        impact.host_themes(mode),
        impact.lottery_comparison(mode),
    ]


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
    from ..report_pdf import annual_report

    response = HttpResponse(annual_report(_mode(request)), content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="microintern-impact-report.pdf"'
    return response
