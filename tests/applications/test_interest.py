"""Saying you're interested, with or without an account, and showing the address is yours."""

import pytest
from django.core import mail
from django.utils import timezone

from microintern.accounts.enums import Role
from microintern.accounts.models import Student
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.models import ActivityLog
from microintern.programme.domain import transition_micro_internship
from microintern.programme.enums import MicroInternshipState
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.applications.helpers import last_email_to, link_in
from tests.programme.factories import on_the_day

pytestmark = pytest.mark.django_db

FORM = {
    "full_name": "Priya Shah",
    "email": "p.shah@example.ac.uk",
    "student_number": "s1234567",
    "statement": "I commute and work shifts, and one day fits around both.",
    "access_needs": "A chair with arm rests, please.",
    "can_attend": "on",
}


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def send(mi, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"/my/interest/{mi.reference}/", {**FORM, **(data or {})}, **extra)

    return send


def test_anyone_can_say_they_are_interested_and_it_counts_after_the_confirm_button(
    client, open_mi, post
):
    response = post(open_mi)
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Check your email" in page and "p.shah@example.ac.uk" in page
    assert "What happens next" in page
    student = Student.objects.get(email="p.shah@example.ac.uk")
    assert student.student_number == "S1234567" and student.full_name == "Priya Shah"
    assert student.user.role == Role.STUDENT and not student.user.has_usable_password()
    interest = ExpressionOfInterest.objects.get(student=student)
    assert interest.verified_at is None and interest.access_needs == FORM["access_needs"]

    email = last_email_to("p.shah@example.ac.uk")
    assert open_mi.reference in email.subject
    assert "interest closes on" in email.body
    confirm = link_in(email, "/my/confirm/")
    page = client.get(confirm).content.decode()
    assert "Is this you?" in page and FORM["statement"] in page
    interest.refresh_from_db()
    assert interest.verified_at is None, "opening the link alone (a mail scanner) must not count"
    client.post(confirm, {"action": "keep"})
    interest.refresh_from_db()
    assert interest.verified_at is not None
    assert "Your interest counts" in client.get(confirm).content.decode()
    assert ActivityLog.objects.filter(action="interest.verified", data__how="link").count() == 1


def test_a_signed_in_student_has_details_filled_in_and_counts_at_once(client, open_mi, post):
    student = StudentFactory(with_user=True)
    client.force_login(student.user)
    form = client.get(f"/my/interest/{open_mi.reference}/").content.decode()
    assert student.email in form and student.student_number in form
    assert 'name="email"' not in form
    response = post(open_mi, {"email": "", "full_name": "", "student_number": ""})
    assert response.status_code == 302
    interest = ExpressionOfInterest.objects.get(student=student)
    assert interest.verified_at is not None
    assert "/my/confirm/" not in last_email_to(student.email).body


def test_a_statement_over_the_limit_shows_the_count_and_keeps_everything_typed(open_mi, post):
    long = " ".join(["word"] * 162)
    response = post(open_mi, {"statement": long})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Your answer has 162 words. Please shorten it to 150 words or fewer." in page
    assert "You have used 162 of 150 words." in page  # the count without JavaScript
    assert long in page and FORM["access_needs"] in page and "p.shah@example.ac.uk" in page
    assert not ExpressionOfInterest.objects.exists()


def test_a_non_university_email_is_refused_kindly_and_nothing_is_lost(open_mi, post):
    page = post(open_mi, {"email": "priya@gmail.com"}).content.decode()
    assert "Please use your university email address, ending in @example.ac.uk." in page
    assert 'value="priya@gmail.com"' in page and FORM["statement"] in page
    assert not Student.objects.exists()


def test_a_listed_sub_domain_counts_as_university_email(open_mi, post, settings):
    domains = ["example.ac.uk", "student.example.ac.uk"]
    settings.MICROINTERN = {**settings.MICROINTERN, "UNIVERSITY_EMAIL_DOMAINS": domains}
    assert post(open_mi, {"email": "p.shah@student.example.ac.uk"}).status_code == 302


def test_an_unknown_micro_internship_gets_a_kind_page(client):
    response = client.get("/my/interest/MI-2099-999/")
    assert response.status_code == 404
    assert "We could not find that micro-internship" in response.content.decode()


def test_a_closed_micro_internship_says_so_and_a_late_submission_keeps_the_text(
    client, open_mi, post
):
    page = client.get(f"/my/interest/{open_mi.reference}/")
    assert "Say you" in page.content.decode()
    transition_micro_internship(open_mi, MicroInternshipState.CLOSED)
    page = client.get(f"/my/interest/{open_mi.reference}/").content.decode()
    assert "This micro-internship is not taking new interest" in page


def test_a_micro_internship_closing_while_typing_keeps_the_text(open_mi, post):
    from datetime import timedelta

    from django.utils import timezone

    page_loaded = post  # the student opened the form while it was open ...
    type(open_mi).objects.filter(pk=open_mi.pk).update(
        interest_closes_at=timezone.now() - timedelta(minutes=1)
    )
    page = page_loaded(open_mi)  # ... and pressed Send after it closed
    assert page.status_code == 200
    text = page.content.decode()
    assert "is not open for interest at the moment" in text
    assert FORM["statement"] in text and FORM["access_needs"] in text


def test_a_second_interest_from_a_signed_in_student_gets_a_specific_message(client, open_mi, post):
    interest = ExpressionOfInterestFactory(micro_internship=open_mi)
    client.force_login(interest.student.user)
    page = post(open_mi, {"statement": "Second try, new words."}).content.decode()
    assert "You have already said you are interested in this micro-internship." in page
    assert "Second try, new words." in page
    assert ExpressionOfInterest.objects.count() == 1


def test_a_second_interest_from_someone_not_signed_in_is_answered_by_email_only(
    client, open_mi, post
):
    post(open_mi)
    mail.outbox.clear()
    response = post(open_mi, {"statement": "Again"})
    page = client.get(response.url).content.decode()
    assert "Check your email" in page  # the page does not reveal whether they had applied
    email = last_email_to("p.shah@example.ac.uk")
    assert "You had already told us" in email.body
    assert "/my/confirm/" in email.body  # not confirmed yet: a fresh link
    assert ExpressionOfInterest.objects.get().statement == FORM["statement"]
    mail.outbox.clear()
    post(open_mi, {"statement": "And again"})
    assert not mail.outbox  # at most one such email a day: the form cannot flood an inbox


def test_someone_elses_student_number_records_nothing_reveals_nothing_and_loses_nothing(
    client, open_mi, post
):
    owner = StudentFactory(with_user=True, student_number="S1234567", full_name="Real Owner")
    response = post(open_mi, {"email": "impostor@example.ac.uk"})
    page = client.get(response.url).content.decode()
    assert "Check your email" in page
    assert owner.email not in page and "Real Owner" not in page
    assert not ExpressionOfInterest.objects.exists()
    assert not Student.objects.filter(email="impostor@example.ac.uk").exists()
    assert ActivityLog.objects.filter(action="interest.refused_number_on_record").exists()
    email = last_email_to("impostor@example.ac.uk")
    assert "We have not recorded it" in email.body and FORM["statement"] in email.body
    assert owner.email not in email.body and "Real Owner" not in email.body
    assert link_in(email, f"/my/interest/{open_mi.reference}/")
    mail.outbox.clear()
    post(open_mi, {"email": "impostor@example.ac.uk"})
    assert not mail.outbox  # at most one such email a day: the form cannot flood an inbox


def test_a_known_email_is_matched_and_the_record_is_never_changed_from_the_form(open_mi, post):
    owner = StudentFactory(
        with_user=True, email="p.shah@example.ac.uk", student_number="S7654321", full_name="P S"
    )
    post(open_mi, {"full_name": "Someone Else"})
    owner.refresh_from_db()
    assert owner.full_name == "P S" and owner.student_number == "S7654321"
    interest = ExpressionOfInterest.objects.get(student=owner)
    assert interest.verified_at is None  # counts only after the owner confirms
    assert ActivityLog.objects.filter(action="interest.student_number_differs").exists()


def test_an_expired_or_changed_confirm_link_gets_a_kind_message(client, open_mi, post, settings):
    post(open_mi)
    confirm = link_in(last_email_to("p.shah@example.ac.uk"), "/my/confirm/")
    settings.MICROINTERN = {**settings.MICROINTERN, "CONFIRM_LINK_DAYS": 0}
    page = client.get(confirm).content.decode()
    assert "This link has run out" in page and "Nothing is lost" in page
    page = client.get(confirm[:-3] + "xyz/").content.decode()
    assert "This link does not work" in page


def test_no_student_page_says_eoi(client, open_mi, post):
    pages = ("/", f"/micro-internships/{open_mi.reference}/", f"/my/interest/{open_mi.reference}/")
    for url in pages:
        assert "EOI" not in client.get(url).content.decode()
    page = post(open_mi, {"statement": ""}).content.decode()
    assert "EOI" not in page and "expression of interest" not in page.lower()


def test_no_show_is_never_penalised(open_mi, django_capture_on_commit_callbacks):
    from microintern.applications.domain import record_interest, transition_place

    interest = ExpressionOfInterestFactory(state=PlaceState.ACCEPTED)
    with on_the_day(interest.micro_internship), django_capture_on_commit_callbacks(execute=True):
        transition_place(interest, PlaceState.NO_SHOW)
    email = last_email_to(interest.student.email)
    assert "no penalty" in email.body
    again = record_interest(interest.student, open_mi, statement="I would like to try again.")
    assert again.state == PlaceState.RECEIVED


def test_only_confirmed_interests_count_and_a_no_show_has_not_yet_taken_part(open_mi):
    from microintern.applications.queries import counting_interests, has_taken_part

    confirmed = ExpressionOfInterestFactory(micro_internship=open_mi, verified_at=timezone.now())
    ExpressionOfInterestFactory(micro_internship=open_mi)
    assert list(counting_interests(open_mi)) == [confirmed]
    no_show = ExpressionOfInterestFactory(state=PlaceState.NO_SHOW)
    attended = ExpressionOfInterestFactory(state=PlaceState.ATTENDED)
    assert not has_taken_part(no_show.student)
    assert has_taken_part(attended.student)
