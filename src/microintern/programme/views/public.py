"""Public pages: anyone may browse open micro-internships, no account needed."""

from django.shortcuts import get_object_or_404, render

from .. import queries


def open_list(request):
    return render(
        request,
        "programme/public/list.html",
        {"micro_internships": queries.open_for_interest().order_by("starts_at")},
    )


def detail(request, reference: str):
    mi = get_object_or_404(queries.publicly_visible(), reference=reference.upper())
    is_open = queries.open_for_interest().filter(pk=mi.pk).exists()
    return render(request, "programme/public/detail.html", {"mi": mi, "is_open": is_open})
