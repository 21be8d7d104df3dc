"""Staff pages on individual places: one expression of interest in full, and decisions
through the place lifecycle."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from microintern.core.domain import activity_for
from microintern.core.errors import TransitionNotAllowed
from microintern.core.forms import REASON_LENGTH
from microintern.core.permissions import permission_required
from microintern.mail.outbox import messages_about, one_action, page_after_action

from ..domain import transition_place, transition_places
from ..enums import PLACE_TRANSITIONS, PlaceState
from ..forms import PlaceDecisionForm
from ..models import ExpressionOfInterest

KEPT_DECISION = "programme.kept_decision"  # read back by the micro-internship page


def _decision(form: PlaceDecisionForm) -> tuple[PlaceState, str]:
    """The decision and reason staff chose, or `TransitionNotAllowed` saying what is missing."""
    if "reason" in form.errors:
        raise TransitionNotAllowed.because(form.first_error())
    if not form.is_valid() or form.cleaned_data["to_state"] not in PlaceState.values:
        raise TransitionNotAllowed.because(
            "Please choose a decision (for example “Offered a place”) before saving."
        )
    return PlaceState(form.cleaned_data["to_state"]), form.cleaned_data["reason"]


@require_POST
@permission_required("microintern.use_back_office")
def decide(request, pk: int):
    interest = get_object_or_404(ExpressionOfInterest.objects.select_related("student"), pk=pk)
    form = PlaceDecisionForm(request.POST)
    try:
        to_state, reason = _decision(form)
        transition_place(interest, to_state, actor=request.user, reason=reason)
    except TransitionNotAllowed as error:
        messages.error(request, f"{interest.student.full_name}: {error}")
        # The micro-internship page shows the error in this row, with the reason kept.
        request.session[KEPT_DECISION] = {
            "pk": interest.pk,
            "reason": form.data.get("reason", "")[:REASON_LENGTH],
            "error": str(error),
        }
    else:
        messages.success(
            request, f"{interest.student.full_name}: now “{interest.get_state_display()}”."
        )
    page = reverse("staff:micro_internship", args=[interest.micro_internship_id])
    return redirect(f"{page}#decide-{interest.pk}")


@permission_required("microintern.use_back_office")
def interest_detail(request, pk: int):
    """Everything about one expression of interest: what the student wrote, the adjustments
    they asked for, whether they confirmed it, its history and emails, and the decision."""
    interest = get_object_or_404(
        ExpressionOfInterest.objects.select_related(
            "student", "micro_internship__challenge__organisation"
        ),
        pk=pk,
    )
    return render(
        request,
        "applications/staff/interest.html",
        {
            "interest": interest,
            "allowed_moves": [s for s in PlaceState if s in PLACE_TRANSITIONS[interest.state]],
            "activity": activity_for(interest)[:100],
            "emails": messages_about(interest).order_by("-created_at")[:50],
        },
    )


@require_POST
@permission_required("microintern.use_back_office")
def decide_many(request, mi_pk: int):
    """The same decision for every ticked place of one micro-internship, all or none."""
    interests = list(
        ExpressionOfInterest.objects.filter(
            micro_internship_id=mi_pk, pk__in=request.POST.getlist("place")
        ).select_related("student")
    )
    form = PlaceDecisionForm(request.POST)
    page = reverse("staff:micro_internship", args=[mi_pk])
    if not interests:
        messages.error(request, "Please tick the students the decision is for.")
        return redirect(f"{page}#bulk-decide")
    try:
        to_state, reason = _decision(form)
        with one_action() as action:
            transition_places([(i, to_state, reason) for i in interests], actor=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, f"Nothing was changed. {error}")
        return redirect(f"{page}#bulk-decide")
    places = f"{len(interests)} place{'s' if len(interests) != 1 else ''}"
    messages.success(request, f"{places} now “{to_state.label}”; each student is emailed.")
    return redirect(page_after_action(page, action))
