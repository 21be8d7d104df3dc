"""Staff: one search box for students, hosts and micro-internships."""

from django.shortcuts import render

from microintern.core.permissions import permission_required

from ..search import LIMIT, SHORTEST, search


@permission_required("microintern.use_back_office")
def staff_search(request):
    text = request.GET.get("q", "")[:200]
    return render(
        request,
        "programme/staff/search.html",
        {
            "q": text,
            "found": search(text),
            "too_short": bool(text.strip()) and len(text.strip()) < SHORTEST,
            "limit": LIMIT,
        },
    )
