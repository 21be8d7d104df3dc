"""Host contacts' pages: offer a challenge (no account needed), their challenges and
micro-internships, the confirmed team, the plan for the day, briefing files, feedback."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from microintern.applications.enums import PlaceState
from microintern.core.permissions import ensure_permission, permission_required
from microintern.programme.calendar import calendar_for
from microintern.programme.models import MicroInternship
from microintern.surveys.domain import survey_url
from microintern.surveys.models import Invitation

from .. import links
from ..domain import ProposalRefused, add_briefing, confirm_proposal, propose_challenge
from ..forms import BriefingForm, ProposalForm
from ..models import BriefingMaterial
from ..queries import challenge_to_offer_again


@permission_required("microintern.use_host_pages")
def home(request):
    contact = getattr(request.user, "host_contact", None)
    if contact is None:
        raise PermissionDenied
    challenges = contact.organisation.challenges.prefetch_related("micro_internships")
    return render(request, "hosts/host/home.html", {"contact": contact, "challenges": challenges})


def propose(request):
    """Offer a challenge. Nobody needs an account first: the contact gets one (emailed
    sign-in codes) and an acknowledgement with the way back. A signed-in host contact
    starts from one of their organisation's challenges (`?from=`, else the newest), and
    what they send is theirs at once (no confirmation link)."""
    contact = getattr(request.user, "host_contact", None) if request.user.is_authenticated else None
    starting_from = None
    if contact is not None:
        wanted = request.GET.get("from", "")
        if wanted and not wanted.isdigit():
            raise Http404("No such challenge.")
        starting_from = challenge_to_offer_again(contact, int(wanted) if wanted else None)
        if wanted and starting_from is None:
            raise Http404("No such challenge.")
    initial = ProposalForm.initial_from(starting_from, contact) if starting_from else None
    form = ProposalForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = propose_challenge(
                form.cleaned_data, signed_in=contact.user if contact else None
            )
        except ProposalRefused as error:
            form.add_error("email", str(error))
        else:
            request.session["proposed_challenge"] = challenge.title
            return redirect("hosts:proposal_sent")
    return render(
        request, "hosts/host/propose.html", {"form": form, "starting_from": starting_from}
    )


def proposal_sent(request):
    return render(
        request,
        "hosts/host/proposal_sent.html",
        {"title": request.session.get("proposed_challenge", "")},
    )


def confirm(request, token: str):
    """The link emailed to an existing contact when a challenge was offered with their
    address: the page shows it, and a button (not the link itself, which a mail scanner may
    open) adds it to their organisation."""
    try:
        proposal = links.proposal_from_token(token)
    except links.ProposalLinkProblem as problem:
        return render(request, "hosts/host/confirm_problem.html", {"problem": problem}, status=410)
    if request.method == "POST" and proposal.challenge_id is None:
        confirm_proposal(proposal)
        messages.success(
            request,
            gettext("Thank you. “%(title)s” is now one of your organisation's challenges.")
            % {"title": proposal.title},
        )
        return redirect("hosts:confirm_proposal", token=token)
    return render(request, "hosts/host/confirm.html", {"proposal": proposal})


def _micro_internship_for(request, pk: int) -> MicroInternship:
    mi = get_object_or_404(
        MicroInternship.objects.select_related("challenge__organisation", "facilitator"), pk=pk
    )
    ensure_permission(request.user, "hosts.view_micro_internship", mi)
    return mi


def micro_internship(request, pk: int):
    """The plan for the day, the confirmed team (preferred first names and programmes only)
    and the briefing files."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _host_page(request, _micro_internship_for(request, pk), BriefingForm())


@require_POST
def upload_briefing(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    mi = _micro_internship_for(request, pk)
    form = BriefingForm(request.POST, request.FILES)
    if not form.is_valid():
        return _host_page(request, mi, form, status=400)
    item = add_briefing(mi, form.cleaned_data["file"], actor=request.user)
    messages.success(
        request, gettext("“%(name)s” is shared with the team.") % {"name": item.original_name}
    )
    return redirect("hosts:micro_internship", pk=pk)


def _host_page(request, mi, form, status=200):
    team = [
        {"name": i.student.display_name, "programme": i.student.programme}
        for i in mi.interests.filter(state__in=PlaceState.on_the_team()).select_related("student")
    ]
    context = {"mi": mi, "team": team, "briefings": mi.briefings.all(), "form": form}
    return render(request, "hosts/host/micro_internship.html", context, status=status)


def briefing(request, token: str):
    """Download a briefing file: for the team it is shared with (students with an
    accepted or attended place), that host's contacts and staff; always as an attachment
    (never shown inline), with the type we checked on upload."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    item = get_object_or_404(
        BriefingMaterial.objects.select_related("micro_internship__challenge"), token=token
    )
    ensure_permission(request.user, "hosts.download_briefing", item.micro_internship)
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.original_name,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def calendar(request, pk: int):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    mi = _micro_internship_for(request, pk)
    response = HttpResponse(calendar_for([mi]), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{mi.reference}.ics"'
    return response


def feedback(request, pk: int):
    """The host's feedback page after the day: the way into the host questionnaire."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    mi = _micro_internship_for(request, pk)
    invitation = Invitation.objects.filter(
        micro_internship=mi, host_contact__organisation=mi.challenge.organisation
    ).first()
    return render(
        request,
        "hosts/host/feedback.html",
        {
            "mi": mi,
            "survey_url": survey_url(invitation) if invitation else "",
            "answered": bool(invitation and invitation.responded_at),
        },
    )
