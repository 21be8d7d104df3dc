"""Public pages: anyone may browse open micro-internships, no account needed."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from .. import queries
from ..calendar import calendar_for


def open_list(request):
    month = request.GET.get("month", "").strip()
    subject = request.GET.get("subject", "").strip()
    return render(
        request,
        "programme/public/list.html",
        {
            "micro_internships": queries.open_for_interest_filtered(month=month, subject=subject),
            "months": queries.open_months(),
            "subjects": queries.open_subject_areas(),
            "month": month,
            "subject": subject,
            "filtered": bool(month or subject),
        },
    )


def detail(request, reference: str):
    mi = get_object_or_404(queries.publicly_visible(), reference=reference.upper())
    is_open = queries.open_for_interest().filter(pk=mi.pk).exists()
    return render(request, "programme/public/detail.html", {"mi": mi, "is_open": is_open})


def calendar(request, reference: str):
    """The day as a calendar file (.ics): date, times and address, nothing personal."""
    mi = get_object_or_404(queries.publicly_visible(), reference=reference.upper())
    response = HttpResponse(calendar_for([mi]), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{mi.reference}.ics"'
    return response
