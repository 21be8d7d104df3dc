"""Business Clinic back office: dashboard and micro-internship pages."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from microintern.applications.enums import PLACE_TRANSITIONS, PlaceState
from microintern.core.domain import activity_for
from microintern.core.errors import TransitionNotAllowed
from microintern.core.permissions import permission_required

from .. import queries
from ..domain import transition_micro_internship
from ..enums import MICRO_INTERNSHIP_TRANSITIONS, MicroInternshipState
from ..models import MicroInternship

BACK_OFFICE = "microintern.use_back_office"


@permission_required(BACK_OFFICE)
def dashboard(request):
    return render(request, "programme/staff/dashboard.html", {"groups": queries.dashboard_groups()})


@permission_required(BACK_OFFICE)
def detail(request, pk: int):
    mi = get_object_or_404(
        queries.with_place_counts(
            MicroInternship.objects.select_related("challenge__organisation")
        ),
        pk=pk,
    )
    interests = list(mi.interests.select_related("student").order_by("received_at"))
    for interest in interests:
        interest.allowed_moves = [PlaceState(s) for s in PLACE_TRANSITIONS[interest.state]]
    return render(
        request,
        "programme/staff/detail.html",
        {
            "mi": mi,
            "interests": interests,
            "allowed_moves": [
                MicroInternshipState(s) for s in MICRO_INTERNSHIP_TRANSITIONS[mi.state]
            ],
            "activity": activity_for(mi, *interests)[:200],
        },
    )


@require_POST
@permission_required(BACK_OFFICE)
def change_state(request, pk: int):
    mi = get_object_or_404(MicroInternship, pk=pk)
    try:
        transition_micro_internship(
            mi,
            MicroInternshipState(request.POST.get("to_state", "")),
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except (TransitionNotAllowed, ValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{mi.reference} is now “{mi.get_state_display()}”.")
    return redirect("staff:micro_internship", pk=pk)
