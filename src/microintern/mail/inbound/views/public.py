"""The page linked from the acknowledgement: what we understood, and a way to correct it."""

from django.shortcuts import redirect, render

from microintern.programme.enums import MicroInternshipState

from .. import addresses
from ..acknowledge import message_from_check_token, understood
from ..forms import CorrectionForm
from ..triage import record_correction


def check(request, token: str):
    message = message_from_check_token(token)
    if message is None:
        return render(request, "inbound/check_invalid.html", status=404)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record_correction(message, form.cleaned_data["correction"])
        return redirect(request.path + "?thanks=1")
    return render(
        request,
        "inbound/check.html",
        {
            "message": message,
            "understood": understood(message).value,
            "public_states": MicroInternshipState.public(),
            "form": form,
            "thanks": request.GET.get("thanks") == "1",
        },
    )


def confirm_address(request, token: str):
    """GET shows the question (mail scanners follow links), POST confirms."""
    if not addresses.address_link_is_genuine(token):
        return render(request, "inbound/check_invalid.html", status=404)
    if request.method == "POST":
        personal = addresses.confirm_address(token)
        if personal is None:
            return render(request, "inbound/check_invalid.html", status=404)
        return render(request, "inbound/address_confirmed.html", {"personal": personal})
    return render(request, "inbound/address_confirm.html")
