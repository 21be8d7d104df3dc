"""Nobody acts in a student's name: probing student numbers, interests made while signed out."""

import re

import pytest
from django.core import mail

from microintern.accounts.models import Student
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.applications.queries import counting_interests
from microintern.core.models import ActivityLog
from tests.accounts.factories import StudentFactory
from tests.applications.helpers import last_email_to, link_in
from tests.applications.test_interest import FORM

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _answer(client, django_capture_on_commit_callbacks, mi, data):
    """What someone probing sees: the redirect and the page it leads to."""
    client.cookies.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/my/interest/{mi.reference}/", {**FORM, **data})
    page = client.get(response.url) if response.status_code == 302 else response
    return response.status_code, response.get("Location"), CSRF.sub("", page.content.decode())


def test_a_student_number_on_record_answers_exactly_as_a_new_one(
    client, open_mi, django_capture_on_commit_callbacks
):
    StudentFactory(with_user=True, student_number="S1234567")
    probe = {"email": "probe@example.ac.uk"}
    on_record = _answer(
        client,
        django_capture_on_commit_callbacks,
        open_mi,
        {**probe, "student_number": "S1234567"},
    )
    assert not Student.objects.filter(email="probe@example.ac.uk").exists()
    not_on_record = _answer(
        client,
        django_capture_on_commit_callbacks,
        open_mi,
        {**probe, "student_number": "S7777777"},
    )
    assert Student.objects.filter(email="probe@example.ac.uk").exists()
    assert ExpressionOfInterest.objects.count() == 1
    assert on_record == not_on_record
    assert on_record[0] == 302 and "Check your email" in on_record[2]


ATTACKER = {
    "full_name": "Not Amira",
    "email": "amira.hassan@example.ac.uk",
    "student_number": "S0000001",
    "statement": "I only want the free lunch, and I will not turn up.",
}


@pytest.fixture
def amira(db):
    return StudentFactory(
        with_user=True, email="amira.hassan@example.ac.uk", student_number="S2468024"
    )


@pytest.fixture
def made_in_her_name(client, open_mi, amira, django_capture_on_commit_callbacks):
    """Someone not signed in says Amira is interested, with her address and a made-up number."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/my/interest/{open_mi.reference}/", {**FORM, **ATTACKER})
    client.cookies.clear()
    interest = ExpressionOfInterest.objects.get(student=amira)
    assert interest.verified_at is None
    return interest


def test_signing_in_shows_an_interest_made_in_her_name_and_it_does_not_count_yet(
    client, open_mi, amira, made_in_her_name
):
    client.force_login(amira.user)
    for _ in range(2):  # opening the page, however often, never makes it count
        page = client.get("/my/").content.decode()
    assert "Made in your name while you were signed out" in page
    assert ATTACKER["statement"] in page and open_mi.reference in page
    assert "Web form, from someone who was not signed in" in page
    assert "Keep — this was me" in page and "Discard — this was not me" in page
    assert "Your interest counts" not in page
    made_in_her_name.refresh_from_db()
    assert made_in_her_name.verified_at is None
    assert not counting_interests(open_mi).exists()
    assert not ActivityLog.objects.filter(action="interest.verified").exists()


def test_keeping_it_makes_it_count(client, open_mi, amira, made_in_her_name):
    client.force_login(amira.user)
    response = client.post(f"/my/places/{made_in_her_name.pk}/keep/", follow=True)
    page = response.content.decode()
    assert "You have kept it, so your interest now counts." in page
    assert "Made in your name" not in page and "Your interest counts" in page
    assert list(counting_interests(open_mi)) == [made_in_her_name]
    assert ActivityLog.objects.get(action="interest.verified").data["how"] == "kept"


def test_discarding_it_withdraws_it_for_good_and_she_can_say_she_is_interested_herself(
    client, open_mi, amira, made_in_her_name, django_capture_on_commit_callbacks
):
    client.force_login(amira.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/my/places/{made_in_her_name.pk}/discard/", follow=True)
    page = response.content.decode()
    assert "We have discarded it: it will never count." in page
    assert ATTACKER["statement"] not in page
    assert not mail.outbox  # no "you have withdrawn" email for something she never did
    made_in_her_name.refresh_from_db()
    assert made_in_her_name.state == PlaceState.WITHDRAWN
    assert made_in_her_name.discarded_at is not None
    assert ActivityLog.objects.filter(action="place.withdrawn").exists()
    assert ActivityLog.objects.filter(action="interest.discarded").exists()
    # Keeping it afterwards (say, an old tab) changes nothing.
    client.post(f"/my/places/{made_in_her_name.pk}/keep/")
    made_in_her_name.refresh_from_db()
    assert made_in_her_name.verified_at is None
    # She can now say she is interested herself, and that counts at once.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/my/interest/{open_mi.reference}/", {**FORM, "statement": "Me, really."})
    assert [i.statement for i in counting_interests(open_mi)] == ["Me, really."]


def test_someone_else_cannot_keep_or_discard_her_interest(client, made_in_her_name):
    other = StudentFactory(with_user=True)
    client.force_login(other.user)
    for action in ("keep", "discard"):
        assert client.post(f"/my/places/{made_in_her_name.pk}/{action}/").status_code == 403
    made_in_her_name.refresh_from_db()
    assert made_in_her_name.awaits_the_student


def test_the_confirm_link_shows_what_was_sent_and_can_discard_it(client, amira, made_in_her_name):
    confirm = link_in(last_email_to(amira.email), "/my/confirm/")
    page = client.get(confirm).content.decode()
    assert "Is this you?" in page and ATTACKER["statement"] in page
    assert "Web form, from someone who was not signed in" in page
    assert "It does not count until you keep it." in page
    client.post(confirm, {"action": "discard"})
    made_in_her_name.refresh_from_db()
    assert made_in_her_name.discarded_at is not None and made_in_her_name.verified_at is None
    page = client.get(confirm).content.decode()
    assert "we have discarded it" in page
    client.post(confirm, {"action": "keep"})  # the link cannot bring it back
    made_in_her_name.refresh_from_db()
    assert made_in_her_name.verified_at is None


def test_the_acknowledgement_says_it_does_not_count_until_kept(amira, made_in_her_name):
    body = last_email_to(amira.email).body
    assert "It does not count yet." in body and "keep it if it was you" in body
