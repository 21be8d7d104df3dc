"""Staff: upload a student-record extract → check the report → confirm."""

import csv
import io

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from microintern.core.permissions import permission_required

from .. import codings, domain
from ..enums import FeedOutcome
from ..forms import CODE_COLUMNS, CodingMappingForm, PopulationUploadForm
from ..models import CodingMapping, FeedDelivery, PopulationImport, PopulationRecord
from ..population import COLUMNS, ExtractError

IMPORT = "insights.import_population"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
COLUMN_LABELS = CODE_COLUMNS
TEMPLATE_ROWS = [
    [
        "S1234567",
        "amira.hassan@example.ac.uk",
        "Amira Hassan",
        "BA Business Management",
        "Business School",
        "UG",
        "FT",
        "H",
        "XF",
        "2",
        "1",
        "3",
        "no",
        "yes",
        "no",
        "yes",
    ],
    [
        "S7654321",
        "li.wei@example.ac.uk",
        "Li Wei",
        "MSc Data Science",
        "Computing",
        "PGT",
        "FT",
        "I",
        "CN",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]


@permission_required(IMPORT)
def upload(request):
    form = PopulationUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        extract = form.cleaned_data["extract"]
        if extract.size > MAX_UPLOAD_BYTES:
            form.add_error("extract", "The file is larger than 50 MB.")
        else:
            try:
                staged = domain.stage_population_import(
                    name=extract.name,
                    content=extract.read(),
                    academic_year=form.cleaned_data["academic_year"],
                    actor=request.user,
                )
            except ExtractError as error:
                form.add_error("extract", str(error))
            else:
                return redirect("insights:population_report", pk=staged.pk)
    mapping = domain.mapping_for_reading(domain.current_coding_mapping())
    years = (
        PopulationRecord.objects.values("academic_year")
        .order_by("-academic_year")
        .annotate(n=Count("pk"))
    )
    return render(
        request,
        "insights/staff/population_upload.html",
        {
            "form": form,
            "imports": PopulationImport.objects.all()[:10],
            "years": years,
            "expected": [(COLUMN_LABELS[c], mapping.expected(c)) for c in codings.EXPECTED],
            "mapping_version": mapping.version,
        },
    )


@permission_required(IMPORT)
def template_file(request):
    """A CSV with every column the import reads and two example rows, to fill in."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="student-record-template.csv"'
    return response


@permission_required(IMPORT)
def report(request, pk: int):
    staged = get_object_or_404(PopulationImport, pk=pk)
    errors = [p for p in staged.problems if p["severity"] == "error"]
    return render(
        request,
        "insights/staff/population_report.html",
        {
            "staged": staged,
            "readings": [
                (COLUMN_LABELS.get(column, column), codes)
                for column, codes in staged.readings.items()
            ],
            "problems": staged.problems[:1000],
            "problem_total": len(staged.problems),
            "error_lines": len({p["line"] for p in errors}),
            "valid_rows": staged.valid_count,
            "delivery": staged.deliveries.filter(outcome=FeedOutcome.APPLIED).first(),
        },
    )


FEED_ROWS = 200


@permission_required(IMPORT)
def feed(request):
    """What the unattended student-record feed received lately and what became of it."""
    return render(
        request,
        "insights/staff/population_feed.html",
        {
            "deliveries": FeedDelivery.objects.select_related("population_import")[:FEED_ROWS],
            "shown": FEED_ROWS,
        },
    )


@require_POST
@permission_required(IMPORT)
def confirm(request, pk: int):
    staged = get_object_or_404(PopulationImport, pk=pk)
    try:
        staged = domain.apply_population_import(staged, actor=request.user)
    except domain.ImportAlreadyApplied as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Imported {staged.valid_count} students for {staged.academic_year}: "
            f"{staged.created_count} new, {staged.updated_count} updated.",
        )
    return redirect("insights:population_report", pk=staged.pk)


@permission_required("insights.change_coding_mapping")
def codes(request):
    """Administrators: how the extract's codes are read, saved as a new version each time."""
    current = domain.current_coding_mapping()
    form = CodingMappingForm(
        request.POST or None, readings=current.readings, refused=current.refused
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = domain.save_coding_mapping(
                readings=form.cleaned_data["readings"],
                refused=form.cleaned_data["refused"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except domain.MappingRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                f"Saved as version {saved.version}. Imports from now on read codes with it; "
                "earlier imports keep the version they were read with.",
            )
            return redirect("insights:coding_mapping")
    return render(
        request,
        "insights/staff/coding_mapping.html",
        {
            "form": form,
            "current": current,
            "versions": CodingMapping.objects.select_related("created_by").order_by("-version")[
                :50
            ],
        },
    )
