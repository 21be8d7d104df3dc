"""Sending the interest form does only what it must: the interest, its log and its
acknowledgement in the outbox in one transaction, the email sent only after that commits,
and no session made for someone who is not signed in."""

import json

import pytest
from django.contrib.sessions.models import Session
from django.core import mail

from microintern.accounts.enums import Role
from microintern.accounts.models import Student, User
from microintern.applications.models import ExpressionOfInterest
from microintern.core.models import ActivityLog
from microintern.mail.models import OutboundMessage
from tests.accounts.factories import StudentFactory, UserFactory
from tests.applications.helpers import last_email_to
from tests.applications.test_interest import FORM
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def test_the_acknowledgement_waits_in_the_outbox_until_the_interest_is_committed(
    client, open_mi, django_capture_on_commit_callbacks
):
    form = f"/my/interest/{open_mi.reference}/"
    client.get(form)
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        sent = client.post(form, FORM)
    assert sent.status_code == 302
    assert ExpressionOfInterest.objects.filter(student__email="p.shah@example.ac.uk").exists()
    assert OutboundMessage.objects.filter(to="p.shah@example.ac.uk").count() == 1
    assert mail.outbox == [] and after_commit  # nothing sent before the commit
    for callback in after_commit:
        callback()
    assert [m.to for m in mail.outbox] == [["p.shah@example.ac.uk"]]


def test_someone_not_signed_in_gets_no_session_and_still_reads_what_happens_next(
    client, open_mi, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/my/interest/{open_mi.reference}/", FORM)
    assert Session.objects.count() == 0 and "sessionid" not in client.cookies
    page = client.get(sent.url).content.decode()
    assert "Check your email" in page and "p.shah@example.ac.uk" in page


def test_a_forged_sent_cookie_shows_nothing_of_it(client, open_mi):
    forged = {"reference": open_mi.reference, "email": "someone@example.ac.uk", "counts_now": True}
    client.cookies["interest_sent"] = json.dumps(forged)
    page = client.get(f"/my/interest/{open_mi.reference}/sent/").content.decode()
    assert "someone@example.ac.uk" not in page and "We have your interest" not in page


def test_the_sent_cookie_of_one_micro_internship_says_nothing_on_another(
    client, open_mi, django_capture_on_commit_callbacks
):
    other = MicroInternshipFactory(open_now=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/my/interest/{open_mi.reference}/", FORM)
    page = client.get(f"/my/interest/{other.reference}/sent/").content.decode()
    assert "p.shah@example.ac.uk" not in page


def sent_interest(client, mi, django_capture_on_commit_callbacks, **typed):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(f"/my/interest/{mi.reference}/", {**FORM, **typed})


def test_a_number_on_record_in_lower_case_is_still_someone_elses(
    client, open_mi, django_capture_on_commit_callbacks
):
    StudentFactory(student_number="s1234567", email="imported@example.ac.uk")
    sent_interest(client, open_mi, django_capture_on_commit_callbacks, student_number="S1234567")
    assert not ExpressionOfInterest.objects.exists()
    assert not Student.objects.filter(email="p.shah@example.ac.uk").exists()
    assert "We have not recorded it" in last_email_to("p.shah@example.ac.uk").body


def test_the_address_decides_when_address_and_number_belong_to_two_students(
    client, open_mi, django_capture_on_commit_callbacks
):
    StudentFactory(student_number="S1234567", email="number.owner@example.ac.uk")
    priya = StudentFactory(student_number="S7654321", email="p.shah@example.ac.uk")
    sent_interest(client, open_mi, django_capture_on_commit_callbacks)
    assert ExpressionOfInterest.objects.get().student == priya
    assert ActivityLog.objects.filter(action="interest.student_number_differs").exists()


def test_a_new_student_whose_address_is_a_staff_sign_in_gets_none_of_it(
    client, open_mi, make_user, django_capture_on_commit_callbacks
):
    staff = make_user(Role.STAFF, email="p.shah@example.ac.uk")
    sent_interest(client, open_mi, django_capture_on_commit_callbacks)
    student = Student.objects.get(email="p.shah@example.ac.uk")
    assert student.user is None and ExpressionOfInterest.objects.get().student == student
    staff.refresh_from_db()
    assert staff.role == Role.STAFF


def test_a_student_sign_in_without_a_record_becomes_the_new_students(
    client, open_mi, django_capture_on_commit_callbacks
):
    user = UserFactory(email="p.shah@example.ac.uk", role=Role.STUDENT)
    sent_interest(client, open_mi, django_capture_on_commit_callbacks)
    assert Student.objects.get(email="p.shah@example.ac.uk").user == user
    assert User.objects.filter(email__iexact="p.shah@example.ac.uk").count() == 1
