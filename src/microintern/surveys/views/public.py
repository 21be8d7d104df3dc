"""Answering a survey: the emailed link (its token) is the key; works on a phone."""

import contextlib

from django.shortcuts import get_object_or_404, redirect, render

from ..domain import SurveyClosed, record_response
from ..forms import ResponseForm
from ..models import Invitation


def respond(request, token: str):
    invitation = get_object_or_404(
        Invitation.objects.select_related("version__instrument", "micro_internship__challenge"),
        token=token,
    )
    if invitation.responded_at:
        return render(request, "surveys/thanks.html", {"invitation": invitation, "already": True})
    items = invitation.version.items.all()
    form = ResponseForm(items, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with contextlib.suppress(SurveyClosed):
            record_response(invitation, form.cleaned_data)
        return redirect("surveys:respond", token=token)
    return render(request, "surveys/respond.html", {"invitation": invitation, "form": form})
