"""Signed links in students' emails: confirm an address, reply to an offer, feedback, certificate.

Each link carries a signed, timestamped token (django.core.signing) naming one expression of
interest, so a student can act with one click and no password. A token is bound to what it was
made for (the student's email address, or the offer's reply-by time), so an old or forwarded
link cannot act on anything else.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import ExpressionOfInterest

CONFIRM = "applications.confirm-interest"
OFFER = "applications.offer-reply"
AFTER_THE_DAY = "applications.after-the-day"
AFTER_THE_DAY_MAX_AGE = timedelta(days=365)


class LinkProblem(Exception):
    """A link that cannot be used. `kind` is 'expired' or 'invalid'; the view explains it."""

    def __init__(self, kind: str, interest: ExpressionOfInterest | None = None):
        super().__init__(kind)
        self.kind = kind
        self.interest = interest


@dataclass(frozen=True)
class OfferLink:
    interest: ExpressionOfInterest
    is_current: bool  # False: the link was made for an earlier offer of this place


def absolute(path: str) -> str:
    return settings.MICROINTERN.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def my_page_url() -> str:
    return absolute(reverse("applications:my_interests"))


def calendar_url(mi) -> str:
    return absolute(reverse("public:calendar", args=[mi.reference]))


def map_url(address: str) -> str:
    """An OpenStreetMap search for the address (a plain link: no embedded map, no tracking)."""
    lines = [line.strip() for line in address.splitlines() if line.strip()]
    return "https://www.openstreetmap.org/search?" + urlencode({"query": ", ".join(lines)})


def _load(token: str, salt: str, max_age: timedelta | None = None) -> dict:
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkProblem("expired") from error
    except signing.BadSignature as error:
        raise LinkProblem("invalid") from error


def _interest(pk) -> ExpressionOfInterest:
    interest = (
        ExpressionOfInterest.objects.select_related(
            "student", "micro_internship__challenge__organisation"
        )
        .filter(pk=pk)
        .first()
    )
    if interest is None:
        raise LinkProblem("invalid")
    return interest


def confirm_token(interest: ExpressionOfInterest) -> str:
    return signing.dumps({"i": interest.pk, "e": interest.student.email.lower()}, salt=CONFIRM)


def confirm_url(interest: ExpressionOfInterest) -> str:
    return absolute(reverse("applications:confirm_interest", args=[confirm_token(interest)]))


def interest_from_confirm_token(token: str) -> ExpressionOfInterest:
    """The interest a confirm link is for, if the link is genuine, in date and still for the
    address it was sent to."""
    days = settings.MICROINTERN.get("CONFIRM_LINK_DAYS", 14)
    data = _load(token, CONFIRM, timedelta(days=days))
    interest = _interest(data.get("i"))
    if interest.student.email.lower() != data.get("e"):
        raise LinkProblem("invalid")
    return interest


def offer_token(interest: ExpressionOfInterest) -> str:
    deadline = interest.offer_expires_at.timestamp() if interest.offer_expires_at else None
    return signing.dumps({"i": interest.pk, "o": deadline}, salt=OFFER)


def offer_url(interest: ExpressionOfInterest) -> str:
    return absolute(reverse("applications:offer", args=[offer_token(interest)]))


def offer_from_token(token: str) -> OfferLink:
    """The place an offer link is about. Its age is not checked here: the offer's own
    reply-by time decides, so the view can say kindly what happened to the offer."""
    data = _load(token, OFFER)
    interest = _interest(data.get("i"))
    current = interest.offer_expires_at.timestamp() if interest.offer_expires_at else None
    return OfferLink(interest, is_current=data.get("o") == current)


def after_the_day_token(interest: ExpressionOfInterest) -> str:
    return signing.dumps({"i": interest.pk}, salt=AFTER_THE_DAY)


def feedback_url(interest: ExpressionOfInterest) -> str:
    return absolute(reverse("applications:feedback", args=[after_the_day_token(interest)]))


def certificate_url(interest: ExpressionOfInterest) -> str:
    return absolute(reverse("applications:certificate_link", args=[after_the_day_token(interest)]))


def interest_from_after_the_day_token(token: str) -> ExpressionOfInterest:
    return _interest(_load(token, AFTER_THE_DAY, AFTER_THE_DAY_MAX_AGE).get("i"))
