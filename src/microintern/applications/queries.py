"""Read-side questions about expressions of interest, for selection, reports and links."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from . import links
from .enums import PlaceState
from .models import ExpressionOfInterest


def counting_interests(micro_internship=None):
    """Interests that count: the student has shown the address is theirs (DESIGN principle 5).

    Unconfirmed ones are kept (nothing lost) but take no part in selection.
    """
    rows = ExpressionOfInterest.objects.filter(verified_at__isnull=False)
    if micro_internship is not None:
        rows = rows.filter(micro_internship=micro_internship)
    return rows


def told_of_cancellation(micro_internship) -> list[ExpressionOfInterest]:
    """The students a cancellation emails (`notifications.micro_internship_cancelled`)."""
    return list(
        micro_internship.interests.filter(state__in=PlaceState.told_of_cancellation())
        .select_related("student")
        .order_by("student__full_name")
    )


def has_taken_part(student) -> bool:
    """Whether the student has already had a micro-internship (for priority in selection).

    Only attending counts. A no-show has not had the opportunity and is never penalised:
    no state of a past place makes a student less likely to get the next one.
    """
    return student.interests.filter(state=PlaceState.ATTENDED).exists()


def places_taken(micro_internship) -> int:
    """Places on the micro-internship already offered or taken (`PlaceState.holding_a_seat`)."""
    return micro_internship.interests.filter(state__in=PlaceState.holding_a_seat()).count()


@dataclass(frozen=True)
class OfferLink:
    interest: ExpressionOfInterest
    is_current: bool  # False: the link was made for an earlier offer of this place


def _interest_for_link(pk) -> ExpressionOfInterest:
    interest = (
        ExpressionOfInterest.objects.select_related(
            "student", "micro_internship__challenge__organisation"
        )
        .filter(pk=pk)
        .first()
    )
    if interest is None:
        raise links.LinkProblem("invalid")
    return interest


def interest_from_confirm_token(token: str) -> ExpressionOfInterest:
    """The interest a confirm link is for, if the link is genuine, in date and still for the
    address it was sent to."""
    days = settings.MICROINTERN.get("CONFIRM_LINK_DAYS", 14)
    data = links.load_signed(token, links.CONFIRM, timedelta(days=days))
    interest = _interest_for_link(data.get("i"))
    if interest.student.email.lower() != data.get("e"):
        raise links.LinkProblem("invalid")
    return interest


def offer_from_token(token: str) -> OfferLink:
    """The place an offer link is about. Its age is not checked here: the offer's own
    reply-by time decides, so the view can say kindly what happened to the offer."""
    data = links.load_signed(token, links.OFFER)
    interest = _interest_for_link(data.get("i"))
    current = interest.offer_expires_at.timestamp() if interest.offer_expires_at else None
    return OfferLink(interest, is_current=data.get("o") == current)


def interest_from_after_the_day_token(token: str) -> ExpressionOfInterest:
    data = links.load_signed(token, links.AFTER_THE_DAY, links.AFTER_THE_DAY_MAX_AGE)
    return _interest_for_link(data.get("i"))
