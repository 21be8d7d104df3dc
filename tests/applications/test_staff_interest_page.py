"""Staff see the person: what a student wrote and the adjustments they asked for, on a page
of its own and flagged on the micro-internship page."""

import pytest
from django.urls import reverse

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

NEED = "I need to leave by 16:00 on Wednesdays to collect my brother."
STATEMENT = "I volunteer at a food bank and want to see how a charity plans its week."


def test_the_interest_page_shows_what_they_wrote_asked_for_and_what_happened(staff_client):
    interest = ExpressionOfInterestFactory(statement=STATEMENT, access_needs=NEED)
    transition_place(interest, PlaceState.WAITLISTED, reason="Full for now.")
    page = staff_client.get(reverse("staff:interest", args=[interest.pk])).content.decode()
    assert STATEMENT in page
    assert "Adjustments asked for" in page and NEED in page
    assert "<strong>Not confirmed</strong>" in page
    assert "On the waiting list" in page and "Full for now." in page  # state and history
    assert "<td>On the waiting list</td>" in page  # the email about it, by its kind
    assert f'action="{reverse("staff:decide_place", args=[interest.pk])}"' in page


def test_the_micro_internship_page_flags_who_asked_for_adjustments(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    asked = ExpressionOfInterestFactory(micro_internship=mi, access_needs=NEED)
    ExpressionOfInterestFactory(micro_internship=mi)
    page = staff_client.get(reverse("staff:micro_internship", args=[mi.pk])).content.decode()
    assert page.count("Adjustments asked for") == 1
    assert reverse("staff:interest", args=[asked.pk]) in page
    assert NEED not in page  # the words themselves only on the interest's own page
