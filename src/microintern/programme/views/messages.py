"""Staff: email a micro-internship's team or its host. Write, see who it goes to, send."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from microintern.applications.domain import message_team, team_of
from microintern.core.errors import TransitionNotAllowed
from microintern.core.permissions import permission_required
from microintern.mail.outbox import one_action, page_after_action

from ..domain import message_host
from ..forms import MessagePeopleForm
from ..models import MicroInternship


@require_POST
@permission_required("microintern.use_back_office")
def message_people(request, pk: int):
    """First post: the page shows who will get it. With `confirmed`: it is sent."""
    mi = get_object_or_404(
        MicroInternship.objects.select_related("challenge__organisation", "challenge__contact"),
        pk=pk,
    )
    form = MessagePeopleForm(request.POST)
    if not form.is_valid():
        return render(request, "programme/staff/message.html", {"mi": mi, "form": form}, status=400)
    data = form.cleaned_data
    team = team_of(mi) if data["to"] == "team" else []
    if data["to"] == "team" and not team:
        form.add_error("to", "Nobody has accepted a place yet: there is no team to email.")
        return render(request, "programme/staff/message.html", {"mi": mi, "form": form}, status=400)
    if request.POST.get("confirmed") != "1":
        return render(
            request,
            "programme/staff/message.html",
            {"mi": mi, "form": form, "team": team, "confirming": True},
        )
    try:
        with one_action() as action:
            if data["to"] == "team":
                sent = message_team(
                    mi, subject=data["subject"], message=data["message"], actor=request.user
                )
                done = f"Your email is on its way to the {sent} students in the team."
            else:
                address = message_host(
                    mi, subject=data["subject"], message=data["message"], actor=request.user
                )
                done = f"Your email is on its way to the host ({address})."
    except TransitionNotAllowed as error:
        form.add_error(None, str(error))
        return render(request, "programme/staff/message.html", {"mi": mi, "form": form}, status=400)
    messages.success(request, done)
    return redirect(page_after_action(reverse("staff:micro_internship", args=[mi.pk]), action))
