"""Business Clinic back office: dashboard and micro-internship pages."""

import secrets
from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from microintern.accounts.queries import student_record_imported
from microintern.applications.domain import ATTENDANCE_STATES, LATE_REASON, record_attendance
from microintern.applications.enums import PLACE_TRANSITIONS, PlaceState
from microintern.applications.queries import told_of_cancellation
from microintern.core.domain import activity_for
from microintern.core.errors import TransitionNotAllowed
from microintern.core.forms import REASON_LENGTH, StateChangeForm
from microintern.core.permissions import permission_required
from microintern.hosts.forms import DecisionForm
from microintern.hosts.models import Challenge
from microintern.mail.models import CalendarFeed
from microintern.mail.outbox import action_emails, messages_about, one_action, page_after_action

from .. import queries
from ..calendar import calendar_for
from ..domain import (
    COPIED_ON_DUPLICATE,
    after_the_day,
    check_micro_internship_move,
    duplicate_micro_internship,
    not_yet_the_day,
    schedule_micro_internship,
    set_interest_window_now,
    transition_micro_internship,
    update_micro_internship,
)
from ..enums import MAX_TEAM_SIZE, MICRO_INTERNSHIP_TRANSITIONS, MicroInternshipState
from ..forms import MessagePeopleForm, MicroInternshipForm, ScheduleForm
from ..models import MicroInternship

BACK_OFFICE = "microintern.use_back_office"


@permission_required(BACK_OFFICE)
def dashboard(request):
    return render(request, "programme/staff/dashboard.html", {"groups": queries.dashboard_groups()})


@permission_required(BACK_OFFICE)
def detail(request, pk: int):
    return _detail_page(request, pk)


KEPT_DECISION = "programme.kept_decision"


def _state_form(mi, data=None) -> DecisionForm:
    moves = [
        state for state in MicroInternshipState if state in MICRO_INTERNSHIP_TRANSITIONS[mi.state]
    ]
    return DecisionForm(data, moves=moves, what="a new state for this micro-internship")


def _detail_page(request, pk: int, form=None, status: int = 200):
    mi = get_object_or_404(
        queries.with_place_counts(
            MicroInternship.objects.select_related("challenge__organisation")
        ),
        pk=pk,
    )
    form = form or _state_form(mi)
    # A place decision refused by `applications` comes back with what was typed in its row.
    kept = request.session.pop(KEPT_DECISION, None) or {}
    interests = list(mi.interests.select_related("student").order_by("received_at"))
    record_imported = student_record_imported()
    register_waits = not_yet_the_day(mi, "register")
    completion_waits = (
        not_yet_the_day(mi, "completion")
        if MicroInternshipState.COMPLETED in MICRO_INTERNSHIP_TRANSITIONS[mi.state]
        else ""
    )
    for interest in interests:
        interest.off_the_record = record_imported and interest.student.record_imported_at is None
        interest.allowed_moves = [
            state
            for state in PlaceState
            if state in PLACE_TRANSITIONS[interest.state]
            and not (register_waits and state in ATTENDANCE_STATES)
        ]
        interest.register_waits = register_waits and any(
            state in ATTENDANCE_STATES for state in PLACE_TRANSITIONS[interest.state]
        )
        if kept.get("pk") == interest.pk:
            interest.kept_reason, interest.kept_error = kept["reason"], kept["error"]
    return render(
        request,
        "programme/staff/detail.html",
        {
            "mi": mi,
            "interests": interests,
            "form": form,
            # "Completed" is not offered before the day: the page says when instead (and
            # the domain refuses it, naming the day, if it is posted all the same).
            "allowed_moves": [
                s
                for s in form.moves
                if not (completion_waits and s == MicroInternshipState.COMPLETED)
            ],
            "chosen": form.data.get("to_state", "") if form.is_bound else "",
            "completion_waits": completion_waits,
            "register_waits": any(interest.register_waits for interest in interests)
            and register_waits,
            "activity": activity_for(mi, *interests)[:200],
            "message_form": MessagePeopleForm(),
            "bulk_moves": [
                state
                for state in PlaceState
                if any(state in interest.allowed_moves for interest in interests)
            ],
            "emails": messages_about(mi, *interests)[:200],
            # Right after an action that emailed people: its emails, which staff may hold.
            "action_emails": action_emails(request.GET.get("emails", "")[:32]),
            "here": request.get_full_path(),
        },
        status=status,
    )


@require_POST
@permission_required(BACK_OFFICE)
def change_state(request, pk: int):
    """Change the state. Cancelling (which emails the students still in the running and the
    host) is asked to be confirmed first, naming them; an error shows the page again with
    what was typed."""
    mi = get_object_or_404(MicroInternship.objects.select_related("challenge__contact"), pk=pk)
    form = _state_form(mi, request.POST)
    if not form.is_valid():
        return _detail_page(request, pk, form, status=400)
    to_state, reason = form.cleaned_data["to_state"], form.cleaned_data["reason"]
    try:
        if to_state == MicroInternshipState.CANCELLED and not form.cleaned_data["confirmed"]:
            check_micro_internship_move(mi, to_state, reason)
            return render(
                request,
                "programme/staff/confirm_cancel.html",
                {
                    "mi": mi,
                    "to_state": to_state,
                    "reason": reason,
                    "students": told_of_cancellation(mi),
                },
            )
        with one_action() as action:
            transition_micro_internship(mi, to_state, actor=request.user, reason=reason)
    except TransitionNotAllowed as error:
        form.add_error(None, str(error))
        return _detail_page(request, pk, form, status=400)
    messages.success(request, f"{mi.reference} is now “{mi.get_state_display()}”.")
    return redirect(page_after_action(reverse("staff:micro_internship", args=[pk]), action))


@permission_required(BACK_OFFICE)
def schedule(request, challenge_pk: int):
    """Schedule an accepted challenge as a micro-internship (the host is emailed)."""
    challenge = get_object_or_404(Challenge.objects.select_related("organisation"), pk=challenge_pk)
    if not challenge.can_be_scheduled:
        messages.error(request, "Accept the challenge before scheduling it.")
        return redirect("hosts:challenge", pk=challenge.pk)
    initial = {
        "subject_area": challenge.subject_area,
        "venue_address": challenge.premises_address or challenge.organisation.address,
        "accessibility_notes": challenge.accessibility_notes,
        "travel_notes": challenge.nearest_transport,
        "what_to_bring": challenge.what_to_bring,
        "capacity": MAX_TEAM_SIZE,
    }
    form = ScheduleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        mi = schedule_micro_internship(
            challenge,
            actor=request.user,
            subject_area=form.cleaned_data["subject_area"],
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            **fields,
        )
        messages.success(request, f"{mi.reference} is scheduled; the host has been emailed.")
        return redirect("staff:micro_internship", pk=mi.pk)
    return render(request, "programme/staff/schedule.html", {"form": form, "challenge": challenge})


@permission_required(BACK_OFFICE)
def duplicate(request, pk: int):
    """Run the same challenge again on a new day: the form starts from the original's
    details and times of day, with the day and interest window to choose; no students or
    places are copied."""
    original = get_object_or_404(
        MicroInternship.objects.select_related("challenge__organisation"), pk=pk
    )
    start = timezone.localtime(original.starts_at)
    initial = {
        "subject_area": original.challenge.subject_area,
        "start_time": start.time(),
        "end_time": timezone.localtime(original.ends_at).time(),
        **{name: getattr(original, name) for name in COPIED_ON_DUPLICATE},
    }
    form = ScheduleForm(request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                copy = duplicate_micro_internship(
                    original,
                    actor=request.user,
                    **{name: data[name] for name in DUPLICATE_FORM_FIELDS},
                )
            except TransitionNotAllowed as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    f"{copy.reference} is scheduled as a copy of {original.reference}; "
                    "the host has been emailed the new day.",
                )
                return redirect("staff:micro_internship", pk=copy.pk)
    return render(
        request,
        "programme/staff/duplicate.html",
        {"form": form, "original": original, "challenge": original.challenge},
        status=status,
    )


DUPLICATE_FORM_FIELDS = (
    *COPIED_ON_DUPLICATE,
    "subject_area",
    "starts_at",
    "ends_at",
    "interest_opens_at",
    "interest_closes_at",
)


@permission_required(BACK_OFFICE)
def edit(request, pk: int):
    """Change capacity (up to 10), facilitator, venue and dates."""
    mi = get_object_or_404(MicroInternship.objects.select_related("challenge"), pk=pk)
    form = MicroInternshipForm(request.POST if request.method == "POST" else None, instance=mi)
    if request.method == "POST" and form.is_valid():
        try:
            update_micro_internship(mi, form.cleaned_data, actor=request.user)
        except TransitionNotAllowed as error:
            form.add_error("capacity", str(error))
        else:
            messages.success(request, f"{mi.reference} is updated.")
            return redirect("staff:micro_internship", pk=mi.pk)
    return render(request, "programme/staff/edit.html", {"form": form, "mi": mi})


@require_POST
@permission_required(BACK_OFFICE)
def interest_window(request, pk: int):
    mi = get_object_or_404(MicroInternship, pk=pk)
    open_it = request.POST.get("action") == "open"
    try:
        set_interest_window_now(mi, open_it=open_it, actor=request.user)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Interest in {mi.reference} is {'open' if open_it else 'closed'} now."
        )
    return redirect("staff:micro_internship", pk=pk)


ATTENDANCE_CHOICES = [("present", "Present"), ("late", "Late"), ("absent", "Absent")]


@permission_required(BACK_OFFICE)
def register(request, pk: int):
    """The attendance register, made for a phone: present / late / absent per student.
    Saving marks attended or no-show through the place lifecycle (which sends the thank-you
    or the kind "we missed you" email). Before the day the page says when it opens and
    offers no form; after the day a changed mark needs a reason (a correction)."""
    mi = get_object_or_404(MicroInternship.objects.select_related("challenge"), pk=pk)
    team = list(
        mi.interests.filter(state__in=PlaceState.on_the_register()).select_related("student")
    )
    not_yet = not_yet_the_day(mi, "register")
    correcting = after_the_day(mi)
    status, reason, error_text = 200, "", ""
    if request.method == "POST":
        marks = {i.pk: request.POST.get(f"place-{i.pk}", "") for i in team}
        reason_form = StateChangeForm(request.POST)
        reason = reason_form.data.get("reason", "")[:REASON_LENGTH]
        try:
            if "reason" in reason_form.errors:  # too long: refused with the count, kept
                raise TransitionNotAllowed.because(reason_form.first_error())
            changed, problems = record_attendance(
                mi, marks, actor=request.user, reason=reason_form.cleaned_data["reason"]
            )
        except TransitionNotAllowed as error:  # nothing was saved: show what was chosen
            error_text, status = str(error), 400
            for interest in team:
                interest.mark = marks[interest.pk]
        else:
            for problem in problems:
                messages.error(request, problem)
            messages.success(
                request, f"Register saved: {changed} change{'s' if changed != 1 else ''}."
            )
            return redirect("staff:register", pk=pk)
    for interest in team:
        interest.known_as = _known_as(interest.student)
        if status == 200:
            interest.mark = _mark(interest)
    return render(
        request,
        "programme/staff/register.html",
        {
            "mi": mi,
            "team": team,
            "choices": ATTENDANCE_CHOICES,
            "not_yet": not_yet,
            "correcting": correcting,
            "reason": reason,
            "error": error_text,
        },
        status=status,
    )


def _mark(interest) -> str:
    """The register's mark for a place as recorded: present, late, absent or none yet."""
    mark = {PlaceState.ATTENDED: "present", PlaceState.NO_SHOW: "absent"}.get(interest.state, "")
    if mark == "present" and interest.outcome_reason.startswith(LATE_REASON):
        return "late"
    return mark


def _known_as(student) -> str:
    """The preferred name, when it is more than the first word of the full name."""
    preferred = student.preferred_name.strip()
    first = student.full_name.split(" ")[0]
    return preferred if preferred and preferred.casefold() != first.casefold() else ""


@permission_required(BACK_OFFICE)
def calendar_view(request):
    """Upcoming micro-internships by month, with the staff member's private feed."""
    upcoming = (
        MicroInternship.objects.filter(
            state__in=MicroInternshipState.upcoming(), ends_at__gte=timezone.now()
        )
        .select_related("challenge__organisation", "facilitator")
        .order_by("starts_at")
    )
    months: dict[str, list] = {}
    for mi in upcoming:
        months.setdefault(f"{timezone.localtime(mi.starts_at):%B %Y}", []).append(mi)
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(
        request,
        "programme/staff/calendar.html",
        {
            "months": months.items(),
            "feed_url": request.build_absolute_uri(reverse("calendar_feed", args=[feed.token]))
            if feed
            else "",
        },
    )


@require_POST
@permission_required(BACK_OFFICE)
def calendar_feed_token(request):
    """Make a new private feed address (revoking any old one), or just revoke it."""
    CalendarFeed.objects.filter(user=request.user).delete()
    if request.POST.get("action") == "revoke":
        messages.success(request, "Your calendar feed address no longer works.")
    else:
        CalendarFeed.objects.create(user=request.user, token=secrets.token_urlsafe(32))
        messages.success(request, "Your new private calendar feed address is ready.")
    return redirect("staff:calendar")


def calendar_feed(request, token: str):
    """A staff member's private iCalendar feed of upcoming micro-internships. The token is
    the key (no session: calendar apps cannot sign in); a revoked token gives 404."""
    feed = CalendarFeed.objects.filter(token=token, user__is_active=True).select_related("user")
    feed = feed.first()
    if feed is None or not feed.user.has_perm(BACK_OFFICE):
        raise Http404("No such calendar.")
    upcoming = MicroInternship.objects.filter(
        state__in=[*MicroInternshipState.upcoming(), MicroInternshipState.CANCELLED],
        ends_at__gte=timezone.now() - timedelta(days=30),
    ).select_related("challenge")
    return HttpResponse(
        calendar_for(upcoming, name="Micro-internships (Business Clinic)"),
        content_type="text/calendar; charset=utf-8",
    )
