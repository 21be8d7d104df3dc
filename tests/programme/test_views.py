"""Micro-internship pages: staff scheduling and details (bad input refused with a clear
message, nothing lost), the calendar feed, the public list and calendar file."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.hosts.enums import ChallengeState
from microintern.mail.models import CalendarFeed
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def schedule_data(day, **extra):
    now = timezone.localtime()
    return {
        "day": day.isoformat(),
        "start_time": "09:30",
        "end_time": "16:30",
        "venue_address": "1 High Street",
        "subject_area": "Marketing",
        "capacity": "10",
        "interest_opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "interest_closes_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        **extra,
    }


def test_scheduling_a_day_in_the_past_or_over_ten_places_is_refused(staff_client):
    challenge = ChallengeFactory(state=ChallengeState.ACCEPTED)
    url = reverse("staff:schedule", args=[challenge.pk])
    past = timezone.localdate() - timedelta(days=2)
    page = staff_client.post(url, schedule_data(past)).content.decode()
    assert "Please choose a day after today." in page
    future = timezone.localdate() + timedelta(days=20)
    page = staff_client.post(url, schedule_data(future, capacity="11")).content.decode()
    assert "A team has at most 10 places." in page
    assert not challenge.micro_internships.exists()


def test_a_scheduled_day_shows_under_its_subject_and_the_challenge_can_run_again(staff_client):
    challenge = ChallengeFactory(state=ChallengeState.ACCEPTED)
    url = reverse("staff:schedule", args=[challenge.pk])
    page = staff_client.post(url, schedule_data(timezone.localdate(), subject_area="")).content
    assert "Please give a subject area: students find micro-internships by it." in page.decode()
    first = timezone.localdate() + timedelta(days=20)
    assert staff_client.post(url, schedule_data(first, subject_area="Events")).status_code == 302
    challenge.refresh_from_db()
    assert challenge.subject_area == "Events" and challenge.state == ChallengeState.SCHEDULED
    mi = challenge.micro_internships.get()
    from microintern.programme.domain import set_interest_window_now  # noqa: PLC0415

    set_interest_window_now(mi, open_it=True)
    listing = staff_client.get(reverse("public:home"), {"subject": "Events"}).content.decode()
    assert mi.reference in listing or mi.title in listing
    # Next term: the same challenge is scheduled again from its page.
    assert (
        reverse("staff:schedule", args=[challenge.pk])
        in staff_client.get(reverse("hosts:challenge", args=[challenge.pk])).content.decode()
    )
    again = timezone.localdate() + timedelta(days=120)
    assert staff_client.post(url, schedule_data(again)).status_code == 302
    assert challenge.micro_internships.count() == 2


def test_capacity_cannot_go_above_ten_or_below_the_places_taken(staff_client):
    mi = MicroInternshipFactory(open_now=True, capacity=3)
    for _ in range(2):
        interest = ExpressionOfInterestFactory(micro_internship=mi)
        from microintern.applications.domain import transition_place

        transition_place(interest, PlaceState.OFFERED)
    url = reverse("staff:edit_micro_internship", args=[mi.pk])
    form = staff_client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        day=form.initial["day"].isoformat(),
        start_time=form.initial["start_time"].strftime("%H:%M"),
        end_time=form.initial["end_time"].strftime("%H:%M"),
        interest_opens_at=timezone.localtime(mi.interest_opens_at).strftime("%Y-%m-%dT%H:%M"),
        interest_closes_at=timezone.localtime(mi.interest_closes_at).strftime("%Y-%m-%dT%H:%M"),
    )
    data.pop("facilitator", None)
    assert (
        "A team has at most 10 places."
        in staff_client.post(url, {**data, "capacity": "12"}).content.decode()
    )
    page = staff_client.post(url, {**data, "capacity": "1"}).content.decode()
    assert "2 places are already offered or taken" in page
    assert staff_client.post(url, {**data, "capacity": "8"}).status_code == 302
    mi.refresh_from_db()
    assert mi.capacity == 8


def test_the_private_calendar_feed_works_until_revoked(staff_client, client):
    mi = MicroInternshipFactory(open_now=True)
    staff_client.post(reverse("staff:calendar_feed_token"), {"action": "new"})
    token = CalendarFeed.objects.get().token
    staff_client.logout()
    feed = client.get(reverse("calendar_feed", args=[token]))
    assert feed["Content-Type"].startswith("text/calendar")
    assert mi.reference in feed.content.decode()
    assert client.get(reverse("calendar_feed", args=["guessed"])).status_code == 404


def test_public_list_filters_by_month_and_subject_without_javascript(client):
    now = timezone.now()
    soon = MicroInternshipFactory(open_now=True, starts_at=now + timedelta(days=20))
    later = MicroInternshipFactory(open_now=True, starts_at=now + timedelta(days=80))
    type(later.challenge).objects.filter(pk=later.challenge.pk).update(subject_area="Marketing")
    later_month = f"{timezone.localtime(later.starts_at):%Y-%m}"
    page = client.get("/").content.decode()
    assert soon.title in page and later.title in page and 'name="month"' in page
    page = client.get("/", {"month": later_month}).content.decode()
    assert later.title in page and soon.title not in page
    page = client.get("/", {"subject": "Marketing"}).content.decode()
    assert later.title in page and soon.title not in page and "1 micro-internship found" in page
    page = client.get("/", {"month": "nonsense"}).content.decode()
    assert "Nothing matches that search" in page


def test_the_calendar_file_downloads(client, open_mi):
    response = client.get(f"/micro-internships/{open_mi.reference}/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content and open_mi.reference.encode() in response.content
