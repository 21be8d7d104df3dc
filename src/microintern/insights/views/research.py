"""Research studies and their protected microdata (researchers and administrators)."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from microintern.core.domain import log_activity
from microintern.core.permissions import permission_required

from .. import domain, research
from ..forms import StudyForm
from ..models import Study

EXPORT = "insights.export_research"


def _key_missing(request, error):
    return render(request, "insights/staff/research_key_missing.html", {"error": error}, status=503)


@permission_required(EXPORT)
def studies(request):
    """The list of studies, and a form to start one."""
    form = StudyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        study = domain.create_study(form.cleaned_data["name"], actor=request.user)
        return redirect("insights:research_study", pk=study.pk)
    return render(
        request,
        "insights/staff/research_studies.html",
        {"form": form, "studies": Study.objects.all()},
    )


@require_GET
@permission_required(EXPORT)
def study(request, pk: int):
    """What the study's release holds, and what was generalised or withheld, before download."""
    chosen = get_object_or_404(Study, pk=pk)
    try:
        export = research.build_export(chosen)
    except research.ResearchKeyMissing as error:
        return _key_missing(request, error)
    return render(
        request,
        "insights/staff/research_study.html",
        {
            "study": chosen,
            "export": export,
            "release": export.release,
            "k": research.K,
            "l": research.L,
            "columns": research.COLUMNS,
        },
    )


@require_GET
@permission_required(EXPORT)
def package(request, pk: int):
    """The study's Frictionless Data Package (zip: datapackage.json; CSV, SPSS, Stata)."""
    chosen = get_object_or_404(Study, pk=pk)
    try:
        export = research.build_export(chosen)
    except research.ResearchKeyMissing as error:
        return _key_missing(request, error)
    log_activity(
        chosen,
        "insights.research_export",
        actor=request.user,
        people=export.release.people,
        withheld=export.release.people_withheld,
    )
    response = HttpResponse(research.package_zip(export), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="microintern-study-{chosen.pk}.zip"'
    return response
