"""The challenge pipeline for Business Clinic staff."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from microintern.core.domain import activity_for
from microintern.core.errors import TransitionNotAllowed
from microintern.core.permissions import ensure_permission, permission_required

from ..domain import challenge_moves, check_challenge_move, transition_challenge
from ..enums import ChallengeState
from ..forms import DecisionForm
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
    return _detail_page(request, challenge)


def _decision_form(challenge, data=None) -> DecisionForm:
    return DecisionForm(
        data, moves=challenge_moves(challenge), what="a decision for this challenge"
    )


def _detail_page(request, challenge, form=None, status: int = 200):
    is_staff = request.user.has_perm("hosts.change_challenge_state", challenge)
    form = form or _decision_form(challenge)
    return render(
        request,
        "hosts/challenge_detail.html",
        {
            "challenge": challenge,
            "is_staff": is_staff,
            "form": form,
            "allowed_moves": form.moves if is_staff else [],
            "chosen": form.data.get("to_state", "") if form.is_bound else "",
            "activity": activity_for(challenge) if is_staff else [],
        },
        status=status,
    )


@require_POST
@permission_required("microintern.use_back_office")
def change_state(request, pk: int):
    """Save a decision. Declining (which emails the host) is asked to be confirmed first,
    naming who will be emailed; an error shows the page again with what was typed."""
    challenge = get_object_or_404(
        Challenge.objects.select_related("organisation", "contact"), pk=pk
    )
    form = _decision_form(challenge, request.POST)
    if not form.is_valid():
        return _detail_page(request, challenge, form, status=400)
    to_state, reason = form.cleaned_data["to_state"], form.cleaned_data["reason"]
    try:
        if to_state == ChallengeState.DECLINED and not form.cleaned_data["confirmed"]:
            check_challenge_move(challenge, to_state, reason)
            return render(
                request,
                "hosts/staff/confirm_decline.html",
                {"challenge": challenge, "to_state": to_state, "reason": reason},
            )
        transition_challenge(challenge, to_state, actor=request.user, reason=reason)
    except TransitionNotAllowed as error:
        form.add_error(None, str(error))
        return _detail_page(request, challenge, form, status=400)
    messages.success(request, f"“{challenge.title}” is now {challenge.get_state_display()}.")
    return redirect("hosts:challenge", pk=pk)
