"""Staff find a student, a host or a micro-internship from one search box."""

import pytest
from django.urls import reverse

from tests.accounts.factories import StudentFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def search(client, text):
    return client.get(reverse("staff:search"), {"q": text}).content.decode()


def test_a_student_by_name_number_or_email(staff_client):
    leah = StudentFactory(full_name="Leah Osei", email="l.osei@example.ac.uk")
    StudentFactory(full_name="Tom Brown")
    for text in ("osei", "LEAH", leah.student_number, "l.osei@"):
        page = search(staff_client, text)
        assert reverse("staff:student_messages", args=[leah.pk]) in page, text
        assert "Tom Brown" not in page


def test_a_micro_internship_by_reference_or_title_and_its_host(staff_client):
    mi = MicroInternshipFactory(challenge__title="Plan a community food festival")
    page = search(staff_client, "food festival")
    assert reverse("staff:micro_internship", args=[mi.pk]) in page
    assert search(staff_client, mi.reference.lower()).count(mi.reference) >= 1
    organisation = mi.challenge.organisation
    page = search(staff_client, organisation.name[:6])
    assert organisation.name in page
    contact = mi.challenge.contact
    assert reverse("staff:contact_messages", args=[contact.pk]) in search(
        staff_client, contact.email
    )


def test_one_letter_is_too_short_and_says_so(staff_client):
    page = search(staff_client, "a")
    assert "Please type at least 2 letters or digits." in page
    assert 'value="a"' in page  # what they typed stays in the box


def test_many_matches_say_only_the_first_are_shown(staff_client):
    for n in range(27):
        StudentFactory(full_name=f"Sam Patel {n}")
    page = search(staff_client, "Patel")
    assert "Students (25+)" in page
    assert "Only the first 25 of each kind are shown" in page
