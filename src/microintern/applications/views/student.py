"""A student's own pages: say you're interested, see where you stand, reply to offers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from microintern.core.domain import log_activity
from microintern.core.errors import TransitionNotAllowed
from microintern.core.permissions import permission_required
from microintern.programme import queries

from ..domain import InterestRefused, record_interest, transition_place
from ..enums import PlaceState, Source
from ..forms import InterestForm
from ..models import ExpressionOfInterest

STUDENT_PAGES = "microintern.use_student_pages"
STUDENT_REPLIES = {
    "accept": PlaceState.ACCEPTED,
    "decline": PlaceState.DECLINED,
    "withdraw": PlaceState.WITHDRAWN,
}


def _student_of(request):
    student = getattr(request.user, "student", None)
    if student is None:
        raise PermissionDenied
    return student


@permission_required(STUDENT_PAGES)
def my_interests(request):
    student = _student_of(request)
    interests = student.interests.select_related("micro_internship__challenge__organisation")
    return render(request, "applications/student/my_interests.html", {"interests": interests})


@permission_required(STUDENT_PAGES)
def express_interest(request, reference: str):
    student = _student_of(request)
    mi = get_object_or_404(queries.publicly_visible(), reference=reference.upper())
    form = InterestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record_interest(
                student,
                mi,
                statement=form.cleaned_data["statement"],
                access_needs=form.cleaned_data["access_needs"],
                can_attend=form.cleaned_data["can_attend"],
                source=Source.WEB,
                actor=request.user,
            )
        except InterestRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Thank you. We have your interest in {mi.reference}.")
            return redirect("applications:my_interests")
    return render(request, "applications/student/interest_form.html", {"form": form, "mi": mi})


@require_POST
@permission_required(STUDENT_PAGES)
def reply(request, pk: int, action: str):
    interest = get_object_or_404(ExpressionOfInterest, pk=pk)
    if action not in STUDENT_REPLIES:
        raise PermissionDenied
    if not request.user.has_perm("applications.respond_to_place", interest):
        log_activity(interest, "place.refused_not_owner", actor=request.user, requested=action)
        raise PermissionDenied
    try:
        transition_place(interest, STUDENT_REPLIES[action], actor=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Done: {interest.get_state_display().lower()}.")
    return redirect("applications:my_interests")
