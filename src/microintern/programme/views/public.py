"""Public pages: anyone may browse open micro-internships, no account needed.

What the pages show of the micro-internships is the same for every visitor, so it is
rendered without the request and kept in the shared cache (`public_pages`); the page around
it (navigation, messages) is rendered for each request."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string

from .. import public_pages, queries
from ..calendar import calendar_for


def open_list(request):
    month = request.GET.get("month", "").strip()
    subject = request.GET.get("subject", "").strip()
    content = public_pages.cached_part(
        "list", (month, subject), lambda: _list_content(month=month, subject=subject)
    )
    return render(request, "programme/public/list.html", {"content": content})


def _list_content(*, month: str, subject: str):
    """The list's content, and whether to keep it: always without filters, with them only
    when something matches (so made-up filter values cannot fill the cache)."""
    micro_internships = list(queries.open_for_interest_filtered(month=month, subject=subject))
    filtered = bool(month or subject)
    content = render_to_string(
        "programme/public/_list.html",
        {
            "micro_internships": micro_internships,
            "months": queries.open_months(),
            "subjects": queries.open_subject_areas(),
            "month": month,
            "subject": subject,
            "filtered": filtered,
        },
    )
    return content, bool(micro_internships) or not filtered


def detail(request, reference: str):
    page = public_pages.cached_part(
        "detail", (reference.upper(),), lambda: _detail_page(reference.upper())
    )
    if page is None:
        raise Http404("No such micro-internship.")
    return render(request, "programme/public/detail.html", page)


def _detail_page(reference: str):
    mi = queries.publicly_visible().filter(reference=reference).first()
    if mi is None:
        return None, False
    is_open = queries.open_for_interest().filter(pk=mi.pk).exists()
    content = render_to_string("programme/public/_detail.html", {"mi": mi, "is_open": is_open})
    return {"title": mi.title, "content": content}, True


def calendar(request, reference: str):
    """The day as a calendar file (.ics): date, times and address, nothing personal."""
    mi = get_object_or_404(queries.publicly_visible(), reference=reference.upper())
    response = HttpResponse(calendar_for([mi]), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{mi.reference}.ics"'
    return response
