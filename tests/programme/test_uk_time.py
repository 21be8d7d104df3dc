"""Every time a person reads is UK time (Europe/London), in summer (BST, UTC+1) as in
winter (GMT): the public page, the offer email and the staff page of a micro-internship
whose day is 09:30 to 16:30 in the UK."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from microintern.applications.enums import PlaceState
from microintern.applications.notifications import queue_interest_email
from microintern.programme.enums import MicroInternshipState
from tests.accounts.factories import sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")

DAYS = {
    # the day, and a moment some weeks before it: (UTC hour of 09:30 UK time)
    "BST": (datetime(2027, 7, 14, 9, 30, tzinfo=LONDON), datetime(2027, 6, 1, 12, tzinfo=UTC), 8),
    "GMT": (datetime(2027, 1, 13, 9, 30, tzinfo=LONDON), datetime(2026, 12, 1, 12, tzinfo=UTC), 9),
}


@pytest.fixture(params=sorted(DAYS))
def uk_day(request):
    starts_at, now, utc_hour = DAYS[request.param]
    with time_machine.travel(now, tick=False):
        assert starts_at.astimezone(UTC).hour == utc_hour  # what is stored differs by season
        mi = MicroInternshipFactory(
            state=MicroInternshipState.OPEN,
            starts_at=starts_at,
            ends_at=starts_at.replace(hour=16),  # 16:30
            interest_opens_at=now,
            interest_closes_at=starts_at.replace(day=starts_at.day - 7, hour=17, minute=0),
        )
        yield mi


def test_the_public_page_shows_the_day_in_uk_time(client, uk_day):
    page = client.get(reverse("public:detail", args=[uk_day.reference])).content.decode()
    assert "09:30 to 16:30 (UK time)" in page
    assert "at 17:00 (UK time)" in page  # the closing time


def test_the_offer_email_gives_the_day_and_the_deadline_in_uk_time(uk_day):
    interest = ExpressionOfInterestFactory(
        micro_internship=uk_day,
        state=PlaceState.OFFERED,
        offer_expires_at=uk_day.starts_at.replace(day=uk_day.starts_at.day - 3, hour=18, minute=0),
    )
    message = queue_interest_email(interest, "place_offered", hold=True)
    assert "09:30 to 16:30 (UK time)" in message.body
    assert "at 18:00 (UK time)" in message.body


def test_the_staff_page_shows_the_day_in_uk_time(client, make_user, uk_day):
    sign_in(client, make_user("staff"))
    page = client.get(reverse("staff:micro_internship", args=[uk_day.pk])).content.decode()
    assert "09:30–16:30" in page
