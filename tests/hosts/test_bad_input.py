"""Bad input on host and staff pages: each refused with a clear message, nothing lost."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.hosts.enums import ChallengeState
from microintern.hosts.models import BriefingMaterial, Challenge, HostContact, Organisation
from microintern.mail.models import CalendarFeed
from microintern.programme.domain import apply_interest_windows
from microintern.programme.enums import MicroInternshipState
from tests.factories import (
    ChallengeFactory,
    ExpressionOfInterestFactory,
    MicroInternshipFactory,
)
from tests.hosts.test_host_journey import PROPOSAL

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user("staff"))
    return client


def host_of(mi_or_challenge, make_user):
    challenge = getattr(mi_or_challenge, "challenge", mi_or_challenge)
    user = make_user("host")
    HostContact.objects.filter(pk=challenge.contact.pk).update(user=user)
    return user


def test_an_empty_proposal_says_what_is_missing_and_creates_nothing(client):
    page = client.post(reverse("hosts:propose"), {}).content.decode()
    assert "There is a problem" in page
    assert "Please tell us: the question you would like the team to answer" in page
    assert not Challenge.objects.exists() and not Organisation.objects.exists()


def test_an_enormous_proposal_is_refused_kindly(client):
    data = {**PROPOSAL, "context": "word " * 5000}
    page = client.post(reverse("hosts:propose"), data).content.decode()
    assert "Please keep this under 3000 characters (it has 24999)" in page
    assert not Challenge.objects.exists()


def test_a_preferred_date_in_the_past_is_refused(client):
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    page = client.post(reverse("hosts:propose"), {**PROPOSAL, "earliest_date": past})
    assert "Please choose a date after today." in page.content.decode()
    assert not Challenge.objects.exists()


def test_a_student_address_cannot_become_a_host(client, student):
    page = client.post(reverse("hosts:propose"), {**PROPOSAL, "email": student.email})
    assert "different kind of account" in page.content.decode()
    assert not Challenge.objects.exists()


def test_a_returning_host_joins_their_organisation(client):
    client.post(reverse("hosts:propose"), PROPOSAL)
    client.post(reverse("hosts:propose"), {**PROPOSAL, "title": "A second challenge"})
    assert Organisation.objects.count() == 1 and HostContact.objects.count() == 1
    assert Challenge.objects.count() == 2


def schedule_data(day, **extra):
    now = timezone.localtime()
    return {
        "day": day.isoformat(),
        "start_time": "09:30",
        "end_time": "16:30",
        "venue_address": "1 High Street",
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


def test_a_host_cannot_open_another_hosts_pages(client, make_user):
    mine = MicroInternshipFactory()
    theirs = MicroInternshipFactory()
    client.force_login(host_of(mine, make_user))
    host_of(theirs, make_user)
    briefing = BriefingMaterial.objects.create(
        micro_internship=theirs,
        token="secret-token",
        original_name="plan.txt",
        content_type="text/plain",
        size=4,
        file="briefings/x",
    )
    assert client.get(reverse("hosts:micro_internship", args=[mine.pk])).status_code == 200
    for url in (
        reverse("hosts:micro_internship", args=[theirs.pk]),
        reverse("hosts:calendar", args=[theirs.pk]),
        reverse("hosts:feedback", args=[theirs.pk]),
        reverse("hosts:challenge", args=[theirs.challenge.pk]),
        reverse("hosts:briefing", args=[briefing.token]),
    ):
        assert client.get(url).status_code == 403, url
    upload = SimpleUploadedFile("x.txt", b"hello", "text/plain")
    response = client.post(reverse("hosts:upload_briefing", args=[theirs.pk]), {"file": upload})
    assert response.status_code == 403
    assert theirs.briefings.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", None),
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 100, "This kind of file cannot be shared"),
        ("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1), "the limit is 10 MB"),
    ],
)
def test_briefing_files_are_checked_by_content_and_size(client, make_user, name, content, message):
    mi = MicroInternshipFactory()
    client.force_login(host_of(mi, make_user))
    upload = SimpleUploadedFile(name, content, "application/pdf")
    response = client.post(reverse("hosts:upload_briefing", args=[mi.pk]), {"file": upload})
    if message is None:  # text is accepted, but only ever served as a text download
        item = mi.briefings.get()
        assert item.content_type == "text/plain"
        download = client.get(reverse("hosts:briefing", args=[item.token]))
        assert download["Content-Type"] == "text/plain"
        assert download["Content-Disposition"].startswith("attachment")
    else:
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not mi.briefings.exists()


def test_the_private_calendar_feed_works_until_revoked(staff_client, client):
    mi = MicroInternshipFactory(open_now=True)
    staff_client.post(reverse("staff:calendar_feed_token"), {"action": "new"})
    token = CalendarFeed.objects.get().token
    staff_client.logout()
    feed = client.get(reverse("calendar_feed", args=[token]))
    assert feed["Content-Type"].startswith("text/calendar")
    assert mi.reference in feed.content.decode()
    assert client.get(reverse("calendar_feed", args=["guessed"])).status_code == 404


def test_the_interest_window_opens_and_closes_on_its_dates():
    now = timezone.now()
    due = MicroInternshipFactory(interest_opens_at=now - timedelta(minutes=1))
    ended = MicroInternshipFactory(
        state=MicroInternshipState.OPEN,
        starts_at=now + timedelta(days=5),
        interest_opens_at=now - timedelta(days=10),
        interest_closes_at=now - timedelta(minutes=1),
    )
    assert apply_interest_windows() == "opened 1, closed 1"
    due.refresh_from_db()
    ended.refresh_from_db()
    assert (due.state, ended.state) == (MicroInternshipState.OPEN, MicroInternshipState.CLOSED)
    assert apply_interest_windows() == ""
