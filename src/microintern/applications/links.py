"""Signed links in students' emails: confirm an address, reply to an offer, feedback, certificate.

This module makes the links and checks their signatures; `applications.queries` finds the
expression of interest a genuine link is for.

Each link carries a signed, timestamped token (django.core.signing) naming one expression of
interest, so a student can act with one click and no password. A token is bound to what it was
made for (the student's email address, or the offer's reply-by time), so an old or forwarded
link cannot act on anything else.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from microintern.core.errors import Refusal

CONFIRM = "applications.confirm-interest"
OFFER = "applications.offer-reply"
AFTER_THE_DAY = "applications.after-the-day"
AFTER_THE_DAY_MAX_AGE = timedelta(days=365)


LINK_PROBLEMS = {
    "expired": "This link has expired.",
    "invalid": "This link does not work: it may be incomplete or changed.",
}


class LinkProblem(Refusal):
    """A link that cannot be used. `kind` is 'expired' or 'invalid'; the view explains it."""

    def __init__(self, kind: str, interest=None):
        super().__init__(LINK_PROBLEMS.get(kind, LINK_PROBLEMS["invalid"]))
        self.kind = kind
        self.interest = interest


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


def load_signed(token: str, salt: str, max_age: timedelta | None = None) -> dict:
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkProblem("expired") from error
    except signing.BadSignature as error:
        raise LinkProblem("invalid") from error


def confirm_token(interest) -> str:
    return signing.dumps({"i": interest.pk, "e": interest.student.email.lower()}, salt=CONFIRM)


def confirm_url(interest) -> str:
    return absolute(reverse("applications:confirm_interest", args=[confirm_token(interest)]))


def offer_token(interest) -> str:
    deadline = interest.offer_expires_at.timestamp() if interest.offer_expires_at else None
    return signing.dumps({"i": interest.pk, "o": deadline}, salt=OFFER)


def offer_url(interest) -> str:
    return absolute(reverse("applications:offer", args=[offer_token(interest)]))


def after_the_day_token(interest) -> str:
    return signing.dumps({"i": interest.pk}, salt=AFTER_THE_DAY)


def feedback_url(interest) -> str:
    return absolute(reverse("applications:feedback", args=[after_the_day_token(interest)]))


def certificate_url(interest) -> str:
    return absolute(reverse("applications:certificate_link", args=[after_the_day_token(interest)]))
