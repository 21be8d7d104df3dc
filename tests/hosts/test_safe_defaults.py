"""Staff decisions start on "Choose…", never on a destructive choice; saving without choosing
says what to choose and keeps what was typed; declining and cancelling are confirmed first,
naming who will be emailed."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from microintern.applications.enums import PlaceState
from microintern.hosts.enums import ChallengeState
from microintern.mail.models import OutboundMessage
from microintern.programme.enums import MicroInternshipState
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory, HostContactFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def select(page: str, select_id: str) -> tuple[str, list[str]]:
    """The option a browser would show as chosen, and every option's label."""
    box = BeautifulSoup(page, "html.parser").find("select", id=select_id)
    options = box.find_all("option")
    chosen = next((o for o in options if o.has_attr("selected")), options[0])
    return chosen.get_text(), [o.get_text() for o in options]


def test_a_proposed_challenge_starts_on_choose_and_needs_a_choice(staff_client):
    challenge = ChallengeFactory()
    page = staff_client.get(reverse("hosts:challenge", args=[challenge.pk])).content.decode()
    assert select(page, "id_to_state") == ("Choose…", ["Choose…", "Accepted", "Declined"])
    response = staff_client.post(
        reverse("staff:challenge_state", args=[challenge.pk]),
        {"to_state": "", "reason": "Thanks, we will talk next week."},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Please choose a decision for this challenge." in page
    assert "Thanks, we will talk next week." in page  # what was typed is still there
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.PROPOSED


def test_an_accepted_challenge_offers_the_schedule_action_not_scheduled(staff_client):
    challenge = ChallengeFactory(state=ChallengeState.ACCEPTED)
    page = staff_client.get(reverse("hosts:challenge", args=[challenge.pk])).content.decode()
    assert select(page, "id_to_state") == ("Choose…", ["Choose…", "Archived"])
    assert "Schedule a micro-internship" in page
    response = staff_client.post(
        reverse("staff:challenge_state", args=[challenge.pk]), {"to_state": "scheduled"}
    )
    assert "That is not one of the choices offered now." in response.content.decode()
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.ACCEPTED


def test_scheduled_is_offered_again_once_a_day_exists(staff_client):
    mi = MicroInternshipFactory()
    challenge = mi.challenge
    challenge.state = ChallengeState.ACCEPTED
    challenge.save()
    page = staff_client.get(reverse("hosts:challenge", args=[challenge.pk])).content.decode()
    assert select(page, "id_to_state")[1] == ["Choose…", "Scheduled", "Archived"]


def test_declining_is_confirmed_naming_the_host_who_is_emailed(staff_client):
    contact = HostContactFactory(name="Sam Okafor", email="sam@riverside.example")
    challenge = ChallengeFactory(contact=contact, organisation=contact.organisation)
    url = reverse("staff:challenge_state", args=[challenge.pk])
    decline = {"to_state": "declined", "reason": "We run a similar challenge this term."}
    page = staff_client.post(url, decline).content.decode()
    assert "We will email Sam Okafor (sam@riverside.example)" in page
    assert "We run a similar challenge this term." in page
    assert "Decline and email Sam Okafor" in page
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.PROPOSED
    assert not OutboundMessage.objects.filter(role="challenge_declined").exists()
    staff_client.post(url, {**decline, "confirmed": "on"})
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.DECLINED
    assert OutboundMessage.objects.filter(role="challenge_declined").count() == 1


def test_declining_without_a_reason_says_so_before_any_confirmation(staff_client):
    challenge = ChallengeFactory()
    response = staff_client.post(
        reverse("staff:challenge_state", args=[challenge.pk]), {"to_state": "declined"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Please give the host a reason for declining." in page and "We will email" not in page
    assert select(page, "id_to_state")[0] == "Declined"  # the choice made is kept


def test_the_micro_internship_state_starts_on_choose_and_needs_a_choice(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    page = staff_client.get(reverse("staff:micro_internship", args=[mi.pk])).content.decode()
    assert select(page, "id_to_state") == (
        "Choose…",
        ["Choose…", "Closed for interest", "Cancelled"],
    )
    response = staff_client.post(
        reverse("staff:micro_internship_state", args=[mi.pk]),
        {"to_state": "", "reason": "The venue is double-booked"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Please choose a new state for this micro-internship." in page
    assert 'value="The venue is double-booked"' in page
    mi.refresh_from_db()
    assert mi.state == MicroInternshipState.OPEN


def test_cancelling_is_confirmed_naming_the_students_and_the_host(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    mi.challenge.contact.name = "Sam Okafor"
    mi.challenge.contact.save()
    told = ExpressionOfInterestFactory(micro_internship=mi, student__full_name="Leah Osei")
    ExpressionOfInterestFactory(
        micro_internship=mi, student__full_name="Tom Reid", state=PlaceState.WITHDRAWN
    )
    url = reverse("staff:micro_internship_state", args=[mi.pk])
    cancel = {"to_state": "cancelled", "reason": "The building is closed."}
    page = staff_client.post(url, cancel).content.decode()
    assert "We will email the host, Sam Okafor" in page
    assert "1 student still in the running" in page
    assert "Leah Osei" in page and "Tom Reid" not in page
    assert "Cancel and email 1 student and the host" in page
    mi.refresh_from_db()
    assert mi.state == MicroInternshipState.OPEN and not OutboundMessage.objects.exists()
    staff_client.post(url, {**cancel, "confirmed": "on"})
    mi.refresh_from_db()
    assert mi.state == MicroInternshipState.CANCELLED
    assert OutboundMessage.objects.filter(to=told.student.email).exists()


def test_an_interest_decision_starts_on_choose_and_keeps_the_reason(staff_client):
    interest = ExpressionOfInterestFactory(student__full_name="Leah Osei")
    mi_page = reverse("staff:micro_internship", args=[interest.micro_internship_id])
    page = staff_client.get(mi_page).content.decode()
    chosen, options = select(page, f"decide-{interest.pk}")
    assert chosen == "Choose…" and "On the waiting list" in options
    response = staff_client.post(
        reverse("staff:decide_place", args=[interest.pk]),
        {"to_state": "", "reason": "Strong statement"},
        follow=True,
    )
    page = response.content.decode()
    assert "Leah Osei: Please choose a decision (for example “Offered a place”)" in page
    row = BeautifulSoup(page, "html.parser").find(id=f"reason-{interest.pk}")
    assert row["value"] == "Strong statement"
    interest.refresh_from_db()
    assert interest.state == PlaceState.RECEIVED
    # Shown once: the page after next starts clean.
    page = staff_client.get(mi_page).content.decode()
    assert BeautifulSoup(page, "html.parser").find(id=f"reason-{interest.pk}").get("value") == ""


def test_a_decision_on_a_page_gone_stale_says_why_it_was_not_saved(staff_client):
    challenge = ChallengeFactory(state=ChallengeState.ARCHIVED)  # archived meanwhile
    response = staff_client.post(
        reverse("staff:challenge_state", args=[challenge.pk]), {"to_state": "accepted"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    summary = BeautifulSoup(page, "html.parser").select_one(".error-summary").get_text(" ")
    assert "Nothing can be changed here any more" in summary
    assert "Archived" in page
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.ARCHIVED
