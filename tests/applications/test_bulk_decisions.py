"""Staff decide for several students at once: all or none, each student emailed, the
refusal naming whose move it was."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from microintern.applications.enums import PlaceState
from microintern.mail.models import OutboundMessage
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def decide(client, mi, interests, **data):
    return client.post(
        reverse("staff:decide_places", args=[mi.pk]),
        {"place": [i.pk for i in interests], **data},
        follow=True,
    )


def test_the_ticked_students_are_waitlisted_together_and_each_is_emailed(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    ticked = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(3)]
    untouched = ExpressionOfInterestFactory(micro_internship=mi)
    page = decide(staff_client, mi, ticked, to_state="waitlisted", reason="Full for now.")
    assert "3 places now “On the waiting list”; each student is emailed." in page.content.decode()
    for interest in ticked:
        interest.refresh_from_db()
        assert (interest.state, interest.outcome_reason) == (PlaceState.WAITLISTED, "Full for now.")
    untouched.refresh_from_db()
    assert untouched.state == PlaceState.RECEIVED
    assert OutboundMessage.objects.filter(role="place_waitlisted").count() == 3


def test_more_offers_than_places_change_nothing_and_say_whose(staff_client):
    mi = MicroInternshipFactory(open_now=True, capacity=1)
    ticked = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(2)]
    page = decide(staff_client, mi, ticked, to_state="offered").content.decode()
    assert "Nothing was changed." in page
    assert f"{escape(ticked[1].student.full_name)}: All 1 places on {mi.reference}" in page
    assert {i.state for i in mi.interests.all()} == {PlaceState.RECEIVED}
    assert not OutboundMessage.objects.exists()


def test_nothing_ticked_or_no_decision_is_explained(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    interest = ExpressionOfInterestFactory(micro_internship=mi)
    assert (
        "Please tick the students"
        in decide(staff_client, mi, [], to_state="offered").content.decode()
    )
    page = decide(staff_client, mi, [interest], to_state="").content.decode()
    assert "Please choose a decision" in page


def test_a_place_of_another_micro_internship_cannot_be_slipped_in(staff_client):
    mi, other = MicroInternshipFactory(open_now=True), MicroInternshipFactory(open_now=True)
    elsewhere = ExpressionOfInterestFactory(micro_internship=other)
    decide(staff_client, mi, [elsewhere], to_state="waitlisted")
    elsewhere.refresh_from_db()
    assert elsewhere.state == PlaceState.RECEIVED
