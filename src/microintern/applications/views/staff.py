"""Staff decisions on individual places, through the place lifecycle."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from microintern.core.errors import TransitionNotAllowed
from microintern.core.forms import REASON_LENGTH
from microintern.core.permissions import permission_required

from ..domain import transition_place
from ..enums import PlaceState
from ..forms import PlaceDecisionForm
from ..models import ExpressionOfInterest

KEPT_DECISION = "programme.kept_decision"  # read back by the micro-internship page


@require_POST
@permission_required("microintern.use_back_office")
def decide(request, pk: int):
    interest = get_object_or_404(ExpressionOfInterest.objects.select_related("student"), pk=pk)
    form = PlaceDecisionForm(request.POST)
    try:
        if "reason" in form.errors:
            raise TransitionNotAllowed.because(form.first_error())
        if not form.is_valid() or form.cleaned_data["to_state"] not in PlaceState.values:
            raise TransitionNotAllowed.because(
                "Please choose a decision (for example “Offered a place”) before saving."
            )
        transition_place(
            interest,
            PlaceState(form.cleaned_data["to_state"]),
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
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
