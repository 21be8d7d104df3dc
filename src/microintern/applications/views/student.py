"""A student's pages: say you're interested (no account needed), confirm it is you, see where
you stand, reply to offers, and after the day give feedback and get a certificate."""

import json
from email.utils import parseaddr
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from microintern.accounts.queries import missing_from_the_record
from microintern.core.domain import log_activity
from microintern.core.errors import TransitionNotAllowed
from microintern.core.permissions import permission_required
from microintern.programme import public_pages, queries
from microintern.programme.domain import NotYetTheDay
from microintern.programme.enums import MicroInternshipState
from microintern.surveys.domain import FeedbackNotOpen, day_feedback_for, record_day_feedback

from .. import links, ranking
from .. import queries as place_queries
from ..certificate import NotAttended, certificate_pdf
from ..domain import (
    InterestRefused,
    discard_interest,
    keep_interest,
    record_web_interest,
    transition_place,
    verify_interest,
)
from ..enums import PlaceState
from ..forms import DayFeedbackForm, InterestForm
from ..models import ExpressionOfInterest

STUDENT_PAGES = "microintern.use_student_pages"
STUDENT_REPLIES = {
    "accept": PlaceState.ACCEPTED,
    "decline": PlaceState.DECLINED,
    "withdraw": PlaceState.WITHDRAWN,
}
IN_THEIR_NAME = ("keep", "discard")
KEPT_MESSAGE = _("Thank you. You have kept it, so your interest now counts.")
DISCARDED_MESSAGE = _(
    "We have discarded it: it will never count. If you would like to take part yourself, "
    "you can say you are interested."
)
DONE_MESSAGES = {
    PlaceState.ACCEPTED: _("You have accepted your place. We look forward to seeing you!"),
    PlaceState.DECLINED: _("You have declined the place. Thank you for letting us know."),
    PlaceState.WITHDRAWN: _("You have withdrawn. Thank you for letting us know."),
}
# What the "sent" page says after the form: in a signed cookie of the visitor's own, not in a
# session, so that sending interest writes nothing beyond the interest itself.
SENT_COOKIE = "interest_sent"
SENT_SALT = "microintern.applications.interest-sent"
SENT_SECONDS = 3600


def signed_link(load):
    """Decorate a view taking (request, <what the link is for>, token): an expired or broken
    link gets a kind page saying what to do instead."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, token: str):
            try:
                subject = load(token)
            except links.LinkProblem as problem:
                return render(
                    request,
                    "applications/student/link_problem.html",
                    {"problem": problem},
                    status=410,
                )
            return view(request, subject, token)

        return wrapper

    return decorate


def _student_of(request):
    student = getattr(request.user, "student", None)
    if student is None:
        raise PermissionDenied
    return student


def _signed_in_student(request):
    user = request.user
    return getattr(user, "student", None) if user.is_authenticated else None


@permission_required(STUDENT_PAGES)
def my_interests(request):
    """The student's places. Interests made in their name while they were signed out come
    first, with their statement, and count only once the student keeps them."""
    student = _student_of(request)
    interests = (
        student.interests.filter(discarded_at__isnull=True)
        .select_related("micro_internship__challenge__organisation", "day_feedback")
        .prefetch_related("micro_internship__briefings")
        .order_by("-micro_internship__starts_at")
    )
    to_check = [i for i in interests if i.awaits_the_student]
    now = timezone.now()
    return render(
        request,
        "applications/student/my_interests.html",
        {
            "to_check": to_check,
            "interests": [i for i in interests if not i.awaits_the_student],
            "now": now,
            "choice_groups": _choice_rows(student, now),
            "missing_from_the_record": missing_from_the_record(student),
            "student": student,
            "clinic_email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        },
    )


def _choice_rows(student, now):
    """The student's rankings to show: per round, each choice with its position and whether
    it can still move up or down (both it and its neighbour still open for interest)."""
    groups = []
    for choices in ranking.choices_of(student):
        if len(choices.interests) < 2:
            continue
        rows = []
        items = choices.interests
        for n, interest in enumerate(items, 1):
            open_now = ranking.is_open(interest, now)
            rows.append(
                {
                    "interest": interest,
                    "position": n,
                    "ordinal": ranking.ordinal(n),
                    "open": open_now,
                    "up": n > 1 and open_now and ranking.is_open(items[n - 2], now),
                    "down": n < len(items) and open_now and ranking.is_open(items[n], now),
                }
            )
        groups.append({"round_name": choices.round_name, "rows": rows})
    return groups


@require_POST
@permission_required(STUDENT_PAGES)
def move_choice(request, pk: int, direction: str):
    """Move up / move down on "My micro-internships": plain forms, no JavaScript needed."""
    interest = get_object_or_404(ExpressionOfInterest.objects.select_related("student"), pk=pk)
    if direction not in ("up", "down"):
        raise PermissionDenied
    if not request.user.has_perm("applications.respond_to_place", interest):
        log_activity(interest, "place.refused_not_owner", actor=request.user, requested=direction)
        raise PermissionDenied
    try:
        position = ranking.move_choice(interest, direction, actor=request.user)
    except ranking.RankingRefused as refusal:
        messages.error(request, str(refusal))
    else:
        title = interest.micro_internship.title
        messages.success(
            request,
            gettext("“%(title)s” is now your %(ordinal)s choice.")
            % {"title": title, "ordinal": ranking.ordinal(position)},
        )
    return redirect(reverse("applications:my_interests") + f"#choice-{interest.pk}")


def express_interest(request, reference: str):
    """The interest form, open to anyone; signed-in students skip the "who are you" part.

    As it first appears to someone not signed in as a student, the form is the same for
    everyone: its parts come from the shared cache (`public_pages`), the CSRF token and the
    rest of the page are rendered for the request."""
    student = _signed_in_student(request)
    if request.method != "POST" and student is None:
        page = public_pages.cached_part(
            "interest-form", (reference.upper(),), lambda: _anonymous_form_page(reference)
        )
        if page is not None:
            return render(request, "applications/student/interest_form.html", {"page": page})
    visible = queries.publicly_visible()
    if request.method == "POST":  # the acknowledgement carries the round's fingerprint
        visible = queries.with_selection_commitment(visible)
    mi = visible.filter(reference=reference.upper()).first()
    if mi is None:
        return render(
            request, "applications/student/unknown.html", {"reference": reference}, status=404
        )
    # A POST is checked by the domain layer, which refuses a late one with a message above
    # the text it keeps; only the form's page is "closed".
    if request.method != "POST" and not queries.open_for_interest().filter(pk=mi.pk).exists():
        return render(request, "applications/student/closed.html", {"mi": mi})
    choices = ranking.choices_in_round_of(student, mi) if student else None
    positions = ranking.insertable_positions(choices, timezone.now()) if choices else ()
    form = InterestForm(request.POST or None, student=student, choices=choices, positions=positions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = record_web_interest(
                mi,
                full_name=data.get("full_name", ""),
                email=data.get("email", ""),
                student_number=data.get("student_number", ""),
                statement=data["statement"],
                access_needs=data["access_needs"],
                can_attend=data["can_attend"],
                signed_in_student=student,
                actor=request.user,
            )
        except InterestRefused as refusal:
            form.add_error(refusal.field, str(refusal))
        else:
            if data.get("choice_position") and not outcome.already:
                ranking.place_choice(
                    outcome.interest, data["choice_position"], actor=request.user, how="form"
                )
            sent = {
                "reference": mi.reference,
                "email": student.email if student else data["email"],
                "counts_now": outcome.counts_now,
            }
            response = redirect("applications:interest_sent", reference=mi.reference)
            response.set_signed_cookie(
                SENT_COOKIE,
                json.dumps(sent),
                salt=SENT_SALT,
                max_age=SENT_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
    return render(
        request,
        "applications/student/interest_form.html",
        {"form": form, "page": _form_parts(mi, form, student)},
    )


def _form_parts(mi, form, student) -> dict:
    """The form page's parts that depend on the micro-internship and the form, not on the
    request (the page around them brings the CSRF token)."""
    return {
        "title": mi.title,
        "intro": render_to_string(
            "applications/student/_interest_intro.html", {"mi": mi, "student": student}
        ),
        "fields": render_to_string("applications/student/_interest_fields.html", {"form": form}),
    }


def _anonymous_form_page(reference: str):
    """The empty form's parts for someone not signed in, kept while the micro-internship is
    open; (None, False) when it is unknown or closed (those pages are rendered as usual)."""
    mi = queries.open_for_interest().filter(reference=reference.upper()).first()
    if mi is None:
        return None, False
    return _form_parts(mi, InterestForm(), None), True


def interest_sent(request, reference: str):
    """What happens next, and by when."""
    mi = get_object_or_404(queries.publicly_visible(), reference=reference.upper())
    signed = request.get_signed_cookie(
        SENT_COOKIE, default=None, salt=SENT_SALT, max_age=SENT_SECONDS
    )
    sent = json.loads(signed) if signed else {}
    if sent.get("reference") != mi.reference:
        sent = {}
    return render(
        request,
        "applications/student/interest_sent.html",
        {"mi": mi, "sent": sent, "reply_hours": settings.MICROINTERN["OFFER_REPLY_HOURS"]},
    )


@signed_link(place_queries.interest_from_confirm_token)
def confirm_interest(request, interest, token: str):
    """The link in the acknowledgement: the page shows what was sent in the student's name,
    and a button (not the link itself) keeps it, so a mail scanner opening links cannot
    confirm for the student; the other button discards it."""
    if request.method == "POST" and not (interest.verified_at or interest.discarded_at):
        if request.POST.get("action") == "discard":
            _keep_or_discard(request, interest, "discard")
        elif verify_interest(interest, how="link"):
            messages.success(request, gettext("Thank you. Your interest now counts."))
        return redirect("applications:confirm_interest", token=token)
    return render(request, "applications/student/confirm.html", {"interest": interest})


@signed_link(place_queries.offer_from_token)
def offer(request, link, token: str):
    """The link in an offer email: see the offer and accept or decline it, without signing in.

    Old, used and expired links each say kindly what has happened; someone else's signed-in
    account cannot use the link (refused and logged)."""
    interest = link.interest
    signed_in = _signed_in_student(request)
    if request.user.is_authenticated and signed_in != interest.student:
        log_activity(interest, "place.refused_not_owner", actor=request.user, via="offer link")
        raise PermissionDenied
    if request.method == "POST" and link.is_current:
        action = request.POST.get("action")
        if action in ("accept", "decline"):
            if _needs_confirming(request, action):
                return _confirm_reply(request, interest, action, back=request.path)
            _reply(request, interest, action)
        return redirect("applications:offer", token=token)
    now = timezone.now()
    return render(
        request,
        "applications/student/offer.html",
        {
            "interest": interest,
            "mi": interest.micro_internship,
            "link": link,
            "can_reply": link.is_current
            and interest.micro_internship.state != MicroInternshipState.CANCELLED
            and interest.state == PlaceState.OFFERED
            and interest.offer_expires_at > now,
            "deadline_passed": interest.state == PlaceState.OFFERED
            and interest.offer_expires_at <= now,
        },
    )


@require_POST
@permission_required(STUDENT_PAGES)
def reply(request, pk: int, action: str):
    interest = get_object_or_404(ExpressionOfInterest, pk=pk)
    if action not in STUDENT_REPLIES and action not in IN_THEIR_NAME:
        raise PermissionDenied
    if not request.user.has_perm("applications.respond_to_place", interest):
        log_activity(interest, "place.refused_not_owner", actor=request.user, requested=action)
        raise PermissionDenied
    if action in IN_THEIR_NAME:
        _keep_or_discard(request, interest, action)
        return redirect("applications:my_interests")
    if _needs_confirming(request, action):
        return _confirm_reply(request, interest, action, back=reverse("applications:my_interests"))
    _reply(request, interest, action)
    return redirect("applications:my_interests")


def _keep_or_discard(request, interest, action: str) -> None:
    """The student's answer about an interest made in their name: keep it or discard it."""
    if action == "keep":
        if keep_interest(interest, actor=request.user):
            messages.success(request, KEPT_MESSAGE)
        elif interest.discarded_at:
            messages.error(request, gettext("This interest has already been discarded."))
        return
    try:
        discard_interest(interest, actor=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, DISCARDED_MESSAGE)


def _needs_confirming(request, action: str) -> bool:
    """Declining and withdrawing cannot be undone, so they are asked about once more."""
    return action in ("decline", "withdraw") and request.POST.get("confirm") != "yes"


def _confirm_reply(request, interest, action: str, *, back: str):
    return render(
        request,
        "applications/student/confirm_reply.html",
        {"interest": interest, "mi": interest.micro_internship, "action": action, "back": back},
    )


def _reply(request, interest, action: str) -> None:
    try:
        transition_place(interest, STUDENT_REPLIES[action], actor=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, DONE_MESSAGES[STUDENT_REPLIES[action]])


@signed_link(place_queries.interest_from_after_the_day_token)
def feedback(request, interest, token: str):
    """Short feedback on the day, from the link in the thank-you email."""
    existing = day_feedback_for(interest)
    initial = {"rating": existing.rating, "comment": existing.comment} if existing else None
    form = DayFeedbackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            record_day_feedback(
                interest, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except FeedbackNotOpen:
            pass
        else:
            messages.success(
                request, gettext("Thank you for your feedback. It helps the next team.")
            )
            return redirect("applications:feedback", token=token)
    return render(
        request,
        "applications/student/feedback.html",
        {
            "interest": interest,
            "mi": interest.micro_internship,
            "form": form,
            "existing": existing,
            "token": token,
            "attended": interest.state == PlaceState.ATTENDED,
        },
    )


def _certificate_response(request, interest):
    try:
        pdf = certificate_pdf(interest)
    except NotAttended:
        return render(
            request, "applications/student/no_certificate.html", {"interest": interest}, status=404
        )
    except NotYetTheDay as not_yet:
        return render(
            request,
            "applications/student/no_certificate.html",
            {"interest": interest, "not_yet": str(not_yet)},
            status=404,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"certificate-{interest.micro_internship.reference}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_required(STUDENT_PAGES)
def certificate(request, pk: int):
    interest = get_object_or_404(ExpressionOfInterest, pk=pk)
    if not request.user.has_perm("applications.view_interest", interest):
        log_activity(interest, "certificate.refused_not_owner", actor=request.user)
        raise PermissionDenied
    return _certificate_response(request, interest)


@signed_link(place_queries.interest_from_after_the_day_token)
def certificate_link(request, interest, token: str):
    """The certificate from the link in the thank-you email."""
    return _certificate_response(request, interest)
