"""Briefing files "shared with the team": tried by each kind of student who might ask for
one. The team (accepted or attended places) downloads them; anyone else still gets 403."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from microintern.applications.enums import PlaceState
from tests.accounts.factories import sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import BriefingMaterialFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def mi():
    return MicroInternshipFactory(open_now=True)


@pytest.fixture
def briefing(mi):
    return BriefingMaterialFactory(micro_internship=mi, original_name="plan for the day.pdf")


def client_for(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def download(user, briefing):
    return client_for(user).get(reverse("hosts:briefing", args=[briefing.token]))


@pytest.mark.parametrize("state", [PlaceState.ACCEPTED, PlaceState.ATTENDED])
def test_a_team_student_downloads_a_file_shared_with_the_team(mi, briefing, state):
    member = ExpressionOfInterestFactory(micro_internship=mi, state=state).student.user
    response = download(member, briefing)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize(
    "state",
    [
        PlaceState.RECEIVED,
        PlaceState.WAITLISTED,
        PlaceState.NOT_SELECTED,
        PlaceState.OFFERED,
        PlaceState.DECLINED,
        PlaceState.EXPIRED,
        PlaceState.WITHDRAWN,
        PlaceState.NO_SHOW,
    ],
)
def test_a_student_without_a_place_on_the_team_is_refused(mi, briefing, state):
    deadline = timezone.now() + timedelta(days=2) if state == PlaceState.OFFERED else None
    outsider = ExpressionOfInterestFactory(
        micro_internship=mi, state=state, offer_expires_at=deadline
    ).student.user
    assert download(outsider, briefing).status_code == 403


def test_a_team_student_of_another_micro_internship_is_refused(briefing):
    elsewhere = ExpressionOfInterestFactory(state=PlaceState.ACCEPTED).student.user
    assert download(elsewhere, briefing).status_code == 403


def test_an_unknown_token_is_not_found_even_for_the_team(mi, briefing):
    member = ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ACCEPTED)
    client = client_for(member.student.user)
    assert client.get(reverse("hosts:briefing", args=["no-such-token"])).status_code == 404


def test_the_team_finds_the_shared_files_on_their_page(mi, briefing):
    member = ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ACCEPTED)
    page = client_for(member.student.user).get(reverse("applications:my_interests"))
    content = page.content.decode()
    assert reverse("hosts:briefing", args=[briefing.token]) in content
    assert "plan for the day.pdf" in content


def test_a_student_without_a_place_sees_no_shared_files(mi, briefing):
    waiting = ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.WAITLISTED)
    page = client_for(waiting.student.user).get(reverse("applications:my_interests"))
    assert reverse("hosts:briefing", args=[briefing.token]) not in page.content.decode()
