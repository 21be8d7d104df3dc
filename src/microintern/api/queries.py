"""What the API and the webhooks show, read-only: the fields a staff member sees on the
staff pages, minus everything personal but a pseudonymous id (and the student number, for
a token allowed it). Never statements, access needs, equality or widening-participation
data: no special-category data leaves through the API.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.programme.domain import the_day
from microintern.programme.models import MicroInternship

PSEUDONYM_SALT = "microintern.api.student"


def pseudonym(student_id: int) -> str:
    """A student's id for other systems: stable, and says nothing of who they are without
    SECRET_KEY (an HMAC of the record's key)."""
    return (
        "stu_" + salted_hmac(PSEUDONYM_SALT, str(student_id), algorithm="sha256").hexdigest()[:24]
    )


def _london(moment: datetime) -> datetime:
    return timezone.localtime(moment, timezone.get_default_timezone())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


SHOWN = (
    "reference",
    "starts_at",
    "ends_at",
    "state",
    "capacity",
    "challenge__title",
    "challenge__organisation__name",
)


def micro_internships(
    *, state: str | None = None, day_from: date | None = None, day_to: date | None = None
) -> QuerySet:
    """Every micro-internship staff can see, in date order, with its places taken counted;
    `day_from` and `day_to` are UK dates, both included."""
    taken = (
        ExpressionOfInterest.objects.filter(
            micro_internship=OuterRef("pk"), state__in=PlaceState.holding_a_seat()
        )
        .values("micro_internship")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        MicroInternship.objects.select_related("challenge__organisation")
        .only(*SHOWN)
        .annotate(api_places_taken=Coalesce(Subquery(taken), 0))
    )
    if state:
        rows = rows.filter(state=state)
    if day_from:
        rows = rows.filter(starts_at__gte=_midnight(day_from))
    if day_to:
        rows = rows.filter(starts_at__lt=_midnight(day_to + timedelta(days=1)))
    return rows.order_by("starts_at", "id")


def micro_internship(reference: str) -> MicroInternship | None:
    return micro_internships().filter(reference=reference).first()


def micro_internship_data(mi: MicroInternship, places_taken: int | None = None) -> dict:
    """One micro-internship as the API and the webhooks show it; times in Europe/London."""
    if places_taken is None:
        places_taken = getattr(mi, "api_places_taken", None)
    if places_taken is None:
        places_taken = mi.interests.filter(state__in=PlaceState.holding_a_seat()).count()
    return {
        "reference": mi.reference,
        "title": mi.challenge.title,
        "host_organisation": mi.challenge.organisation.name,
        "day": the_day(mi),
        "starts_at": _london(mi.starts_at),
        "ends_at": _london(mi.ends_at),
        "state": mi.state,
        "state_label": _in_one_language(mi.get_state_display),
        "capacity": mi.capacity,
        "places_taken": places_taken,
    }


def places(mi: MicroInternship, states=None) -> QuerySet:
    """The places (interests) of `mi` staff see, oldest first; discarded ones (made in a
    student's name by someone else) are not places at all."""
    rows = ExpressionOfInterest.objects.filter(micro_internship=mi, discarded_at__isnull=True)
    if states:
        rows = rows.filter(state__in=states)
    return rows.select_related("student").order_by("received_at", "id")


def place_data(interest: ExpressionOfInterest, reference: str, *, student_number: bool) -> dict:
    """One place: whose (pseudonymously; the number only when `student_number`), its state."""
    return {
        "id": interest.pk,
        "micro_internship": reference,
        "student": {
            "id": pseudonym(interest.student_id),
            "student_number": interest.student.student_number if student_number else None,
        },
        "state": interest.state,
        "state_label": _in_one_language(interest.get_state_display),
        "state_changed_at": _london(interest.state_changed_at),
        "offer_expires_at": _london(interest.offer_expires_at)
        if interest.offer_expires_at
        else None,
    }


ATTENDANCE = {PlaceState.ATTENDED: True, PlaceState.NO_SHOW: False}


def attendance_data(interest, reference: str, *, student_number: bool) -> dict:
    """One row of the day's register: `attended` is None until it is marked."""
    return {
        **place_data(interest, reference, student_number=student_number),
        "attended": ATTENDANCE.get(interest.state),
    }


def _in_one_language(label) -> str:
    """A label in the site's default language, whoever asks and whatever language their
    request or the staff action behind a webhook was in: other systems read one vocabulary."""
    with translation.override(settings.LANGUAGE_CODE):
        return label()
