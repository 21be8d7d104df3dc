"""The challenge pipeline for Business Clinic staff."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from microintern.core.domain import activity_for
from microintern.core.errors import TransitionNotAllowed
from microintern.core.forms import StateChangeForm
from microintern.core.permissions import ensure_permission, permission_required

from ..domain import transition_challenge
from ..enums import CHALLENGE_TRANSITIONS, ChallengeState
from ..models import Challenge, UnconfirmedProposal


@permission_required("microintern.use_back_office")
def pipeline(request):
    challenges = Challenge.objects.select_related("organisation", "contact")
    columns = [
        (state, [c for c in challenges if c.state == state]) for state in ChallengeState.pipeline()
    ]
    unconfirmed = UnconfirmedProposal.objects.filter(confirmed_at__isnull=True).select_related(
        "contact__organisation"
    )
    return render(
        request, "hosts/staff/pipeline.html", {"columns": columns, "unconfirmed": unconfirmed}
    )


def challenge_detail(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    challenge = get_object_or_404(
        Challenge.objects.select_related("organisation", "contact"), pk=pk
    )
    ensure_permission(request.user, "hosts.view_challenge", challenge)
    is_staff = request.user.has_perm("hosts.change_challenge_state", challenge)
    return render(
        request,
        "hosts/challenge_detail.html",
        {
            "challenge": challenge,
            "is_staff": is_staff,
            "allowed_moves": [ChallengeState(s) for s in CHALLENGE_TRANSITIONS[challenge.state]]
            if is_staff
            else [],
            "activity": activity_for(challenge) if is_staff else [],
        },
    )


@require_POST
@permission_required("microintern.use_back_office")
def change_state(request, pk: int):
    challenge = get_object_or_404(Challenge, pk=pk)
    form = StateChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect("hosts:challenge", pk=pk)
    try:
        transition_challenge(
            challenge,
            ChallengeState(form.cleaned_data["to_state"]),
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except (TransitionNotAllowed, ValueError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{challenge.title}” is now {challenge.get_state_display()}.")
    return redirect("hosts:challenge", pk=pk)
