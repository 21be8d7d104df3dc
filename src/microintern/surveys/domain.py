"""Every change to surveys: new instrument versions, invitations, reminders, responses."""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.domain import log_activity
from microintern.core.errors import Refusal
from microintern.core.locking import lock_row, lock_rows
from microintern.insights.consent import only_consenting
from microintern.mail.outbox import queue_email
from microintern.programme.models import MicroInternship
from microintern.selection.enums import RoundState
from microintern.selection.models import RoundMicroInternship

from .enums import InstrumentKind
from .models import Answer, DayFeedback, Instrument, InstrumentVersion, Invitation, Item, Response


class SurveyClosed(Refusal):
    """The invitation has already been answered."""

    def __init__(self, message: str = ""):
        super().__init__(message or "This survey has already been answered. Thank you.")


@transaction.atomic
def new_version(instrument: Instrument, items: list[dict], *, note: str = "", actor=None):
    """Editing an instrument: a new version with these items; older answers keep theirs.

    ``items`` are dicts of Item fields (code, text, response_type, scale, …). Item codes
    that stay the same across versions are what lets analyses pair answers over time.
    """
    lock_row(Instrument, instrument.pk)
    latest = instrument.versions.order_by("-number").first()
    version = InstrumentVersion.objects.create(
        instrument=instrument, number=(latest.number + 1) if latest else 1, note=note
    )
    Item.objects.bulk_create(
        Item(version=version, position=position, **item)
        for position, item in enumerate(items, start=1)
    )
    log_activity(instrument, "survey.new_version", actor=actor, number=version.number)
    return version


def survey_url(invitation: Invitation) -> str:
    base = settings.MICROINTERN.get("BASE_URL", "")
    return base + reverse("surveys:respond", kwargs={"token": invitation.token})


def invite(
    kind: InstrumentKind, *, student=None, host_contact=None, micro_internship=None, actor=None
) -> Invitation:
    """Invite one person to the current version of the instrument of ``kind`` and email them.

    Idempotent: a second call for the same person, instrument version and micro-internship
    returns the first invitation and sends nothing more (the outbox dedupes by key).
    Side effects: one Invitation; one email through the outbox (role "survey_invitation").
    """
    version = Instrument.objects.get(kind=kind, slug__in=_SLUGS[kind]).current_version
    person = student or host_contact
    lookup = {"version": version, "micro_internship": micro_internship}
    lookup["student" if student else "host_contact"] = person
    with transaction.atomic():
        invitation = Invitation.objects.filter(**lookup).first()
        if invitation is None:
            try:
                with transaction.atomic():
                    invitation = Invitation.objects.create(
                        **lookup, token=secrets.token_urlsafe(24)
                    )
            except IntegrityError:
                invitation = Invitation.objects.get(**lookup)
            log_activity(invitation, "survey.invited", actor=actor)
        _queue_survey_email("survey_invitation", invitation)
    return invitation


def _queue_survey_email(role: str, invitation: Invitation) -> None:
    """Queue the invitation (or reminder) email for ``invitation``, once per role."""
    person = invitation.student or invitation.host_contact
    queue_email(
        role,
        to=person.email,
        context={
            "name": getattr(person, "display_name", None) or person.name,
            "survey_title": invitation.version.instrument.title,
            "survey_url": survey_url(invitation),
            "mi": invitation.micro_internship,
        },
        person=person,
        about=invitation,
        dedupe_key=f"{role.replace('_', '-')}-{invitation.pk}",
    )


REMINDER_WINDOW_DAYS = 14
"""Invitations unanswered for longer than the reminder delay plus this are not reminded
(e.g. when reminders are first switched on, old invitations are left alone)."""


def reminder_days() -> int:
    return int(settings.MICROINTERN.get("SURVEY_REMINDER_DAYS", 5))


def remind_due(now=None) -> int:
    """Send one reminder for each invitation still unanswered ``SURVEY_REMINDER_DAYS`` after it.

    Rules: never after a response; at most one reminder per invitation (``reminded_at`` is set
    under a row lock, and the outbox dedupes by key); not for invitations older than the
    delay plus :data:`REMINDER_WINDOW_DAYS`; no pre-survey reminder once the day has started;
    no follow-up reminder to a student whose research consent is no longer in force.
    Uses only what the invitation already stores (for an anonymous instrument too: whom we
    asked and whether they answered, never what). Side effects per reminder: one email
    through the outbox (role "survey_reminder"), ``reminded_at`` set, ``survey.reminded``
    logged. Returns how many reminders were queued.
    """
    now = now or timezone.now()
    due_before = now - timedelta(days=reminder_days())
    due = (
        Invitation.objects.filter(
            responded_at__isnull=True,
            reminded_at__isnull=True,
            created_at__lte=due_before,
            created_at__gt=due_before - timedelta(days=REMINDER_WINDOW_DAYS),
        )
        .exclude(
            Q(version__instrument__kind=InstrumentKind.STUDENT_PRE)
            & Q(micro_internship__starts_at__lte=now)
        )
        .exclude(
            Q(version__instrument__kind=InstrumentKind.FOLLOW_UP)
            & ~Q(pk__in=only_consenting(Invitation.objects, "student").values("pk"))
        )
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            invitation = lock_rows(
                Invitation.objects.select_related("version__instrument", "micro_internship").filter(
                    responded_at__isnull=True, reminded_at__isnull=True
                ),
                [pk],
                of=("self",),
            ).get(pk)
            if invitation is None:
                continue
            _queue_survey_email("survey_reminder", invitation)
            invitation.reminded_at = now
            invitation.save(update_fields=["reminded_at"])
            log_activity(invitation, "survey.reminded")
            sent += 1
    return sent


_SLUGS = {
    InstrumentKind.STUDENT_PRE: ["student-pre"],
    InstrumentKind.STUDENT_POST: ["student-post"],
    InstrumentKind.FOLLOW_UP: ["student-follow-up"],
    InstrumentKind.HOST: ["host"],
}


@transaction.atomic
def record_response(invitation: Invitation, answers: dict[str, object]) -> Response:
    """Store one completed questionnaire for ``invitation``.

    ``answers`` maps item codes of the invitation's version to a number or text (missing or
    empty: not answered). Marks the invitation answered. For an anonymous instrument the
    response is not linked to the invitation, so who answered stays apart from what.
    Raises :class:`SurveyClosed` if the invitation was already answered.
    """
    invitation = lock_row(Invitation, invitation.pk)
    if invitation.responded_at:
        raise SurveyClosed
    now = timezone.now()
    anonymous = invitation.version.instrument.anonymous
    response = Response.objects.create(
        version=invitation.version,
        invitation=None if anonymous else invitation,
        micro_internship=invitation.micro_internship,
        submitted_at=now.replace(minute=0, second=0, microsecond=0) if anonymous else now,
    )
    items = {item.code: item for item in invitation.version.items.all()}
    Answer.objects.bulk_create(
        Answer(
            response=response,
            item=items[code],
            number=value if isinstance(value, int) else None,
            text=value if isinstance(value, str) else "",
        )
        for code, value in answers.items()
        if code in items and value not in (None, "")
    )
    invitation.responded_at = now
    invitation.save(update_fields=["responded_at"])
    return response


def invite_due(now=None) -> int:
    """Send every survey invitation that is due (idempotent; run periodically).

    * pre-survey: accepted places on micro-internships that have not started;
    * end-of-day survey: attended places on days that ended in the last 14 days;
    * follow-up: 8–12 weeks after the day, to students with research consent in force
      (:func:`follow_ups_due`): everyone in a published draw, offered or not, and
      everyone who attended;
    * host survey: the contact of each challenge whose day ended in the last 14 days;
    * then one reminder to each invitation still unanswered after a few days
      (:func:`remind_due`).
    Returns how many invitations were considered (already-sent ones send nothing again).
    """
    now = now or timezone.now()
    places = ExpressionOfInterest.objects.select_related("student", "micro_internship__challenge")
    due = [
        (
            InstrumentKind.STUDENT_PRE,
            places.filter(state=PlaceState.ACCEPTED, micro_internship__starts_at__gt=now),
        ),
        (
            InstrumentKind.STUDENT_POST,
            places.filter(
                state=PlaceState.ATTENDED,
                micro_internship__ends_at__lte=now,
                micro_internship__ends_at__gt=now - timedelta(days=14),
            ),
        ),
        (InstrumentKind.FOLLOW_UP, follow_ups_due(now)),
    ]
    count = 0
    for kind, interests in due:
        for interest in interests:
            invite(kind, student=interest.student, micro_internship=interest.micro_internship)
            count += 1
    for mi in (
        MicroInternship.objects.select_related("challenge__contact")
        .filter(
            ends_at__lte=now,
            ends_at__gt=now - timedelta(days=14),
            interests__state=PlaceState.ATTENDED,
        )
        .distinct()
    ):
        invite(InstrumentKind.HOST, host_contact=mi.challenge.contact, micro_internship=mi)
        count += 1
    remind_due(now)
    return count


IN_THE_DRAW = [
    PlaceState.OFFERED,
    PlaceState.ACCEPTED,
    PlaceState.DECLINED,
    PlaceState.EXPIRED,
    PlaceState.ATTENDED,
    PlaceState.NO_SHOW,
    PlaceState.WAITLISTED,
    PlaceState.NOT_SELECTED,
]
"""Place states of an applicant a published draw decided about (withdrawn ones left out)."""

AFTER_AN_OFFER = IN_THE_DRAW[:6]
"""Of those, the states that follow an offer."""


def _follow_up_place(interests: list) -> object:
    """Of one student's places in one round, the one a follow-up is about: the place they
    were offered if any, else their first choice."""
    return min(
        interests,
        key=lambda i: (
            i.state not in AFTER_AN_OFFER,
            i.preference_rank is None,
            i.preference_rank or 0,
            i.pk,
        ),
    )


def follow_ups_due(now) -> list:
    """Places whose follow-up survey is due now: the day ended 8–12 weeks ago.

    One per student and selection round, so the lottery comparison has an outcome for both
    arms at the same interval: for everyone in a published draw — offered (whatever they did
    with the offer) or not (waiting list, not selected) — the place they were offered, else
    their first choice. Outside a round, attended and not-selected places. Only students
    whose research consent is in force (the consent rule, ``insights.consent``).
    """
    window = {
        "micro_internship__ends_at__lte": now - timedelta(weeks=8),
        "micro_internship__ends_at__gt": now - timedelta(weeks=12),
    }
    places = only_consenting(
        ExpressionOfInterest.objects.select_related("student", "micro_internship"), "student"
    )
    candidates = list(places.filter(state__in=IN_THE_DRAW, **window))
    rounds = dict(
        RoundMicroInternship.objects.filter(
            micro_internship__in={i.micro_internship_id for i in candidates},
            round__state=RoundState.PUBLISHED,
        ).values_list("micro_internship", "round")
    )
    in_round = defaultdict(list)
    for interest in places.filter(
        student__in={i.student_id for i in candidates},
        state__in=IN_THE_DRAW,
        micro_internship__rounds__in=set(rounds.values()),
    ).annotate(round_id=F("micro_internship__rounds")):
        in_round[(interest.student_id, interest.round_id)].append(interest)
    due = []
    for interest in candidates:
        round_id = rounds.get(interest.micro_internship_id)
        if round_id is None:
            if interest.state in (PlaceState.ATTENDED, PlaceState.NOT_SELECTED):
                due.append(interest)
        elif _follow_up_place(in_round[(interest.student_id, round_id)]).pk == interest.pk:
            due.append(interest)
    return due


class FeedbackNotOpen(Refusal):
    """Feedback on the day is only for students marked as having attended."""

    def __init__(self, message: str = ""):
        super().__init__(
            message or "Feedback on the day is only for students marked as having attended."
        )


def record_day_feedback(interest, *, rating: int, comment: str = "", now=None) -> DayFeedback:
    """Keep a student's rating (1–5) and comment on their day; a later answer replaces it.

    Rules: only for a place marked attended (else FeedbackNotOpen). Side effects: saves and
    logs `feedback.received` (the rating only; the comment stays in the feedback row).
    """
    if interest.state != PlaceState.ATTENDED:
        raise FeedbackNotOpen
    feedback, _ = DayFeedback.objects.update_or_create(
        interest=interest,
        defaults={
            "rating": rating,
            "comment": comment.strip(),
            "submitted_at": now or timezone.now(),
        },
    )
    log_activity(interest, "feedback.received", rating=rating)
    return feedback


def day_feedback_for(interest) -> DayFeedback | None:
    """The student's feedback on the day of this place, if they have given it."""
    return DayFeedback.objects.filter(interest=interest).first()
