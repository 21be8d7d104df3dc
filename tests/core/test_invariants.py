"""Rules that hold in the form AND in the database (the form may be bypassed)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from microintern.accounts.enums import Role
from microintern.applications.domain import InterestRefused, record_interest
from microintern.applications.models import ExpressionOfInterest
from microintern.programme.forms import MicroInternshipForm
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def schedule_form(**overrides):
    day = timezone.localdate() + timedelta(days=30)
    data = {
        "day": day.isoformat(),
        "start_time": "09:30",
        "end_time": "16:30",
        "venue_address": "1 High Street",
        "capacity": "10",
        "interest_opens_at": (day - timedelta(days=30)).isoformat() + "T09:00",
        "interest_closes_at": (day - timedelta(days=7)).isoformat() + "T17:00",
    }
    data.update(overrides)
    return MicroInternshipForm(data=data)


def test_a_valid_schedule_is_accepted():
    form = schedule_form()
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("capacity", "message"),
    [("11", "A team has at most 10 places."), ("0", "A team needs at least 1 place.")],
)
def test_form_refuses_capacity_outside_1_to_10(capacity, message):
    form = schedule_form(capacity=capacity)
    assert not form.is_valid()
    assert form.errors["capacity"] == [message]
    assert form.data["venue_address"] == "1 High Street"  # what was typed is kept


def test_form_refuses_end_before_start():
    form = schedule_form(start_time="14:00", end_time="10:00")
    assert not form.is_valid()
    assert form.errors["end_time"] == ["The day must end after it starts."]


def test_form_refuses_interest_window_closing_on_or_after_the_day():
    day = timezone.localdate() + timedelta(days=30)
    form = schedule_form(interest_closes_at=day.isoformat() + "T08:00")
    assert not form.is_valid()
    assert form.errors["interest_closes_at"] == ["Interest must close before the day itself."]


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"capacity": 11}, "micro_internship_capacity_1_to_10"),
        ({"capacity": 0}, "micro_internship_capacity_1_to_10"),
        ({"ends_at_offset": -1}, "micro_internship_ends_after_start"),
        ({"closes_after_day": True}, "micro_internship_interest_closes_before_day"),
    ],
)
def test_database_refuses_what_the_form_refuses(fields, constraint):
    mi = MicroInternshipFactory()
    if "capacity" in fields:
        mi.capacity = fields["capacity"]
    if "ends_at_offset" in fields:
        mi.ends_at = mi.starts_at - timedelta(hours=1)
    if "closes_after_day" in fields:
        mi.interest_closes_at = mi.starts_at + timedelta(hours=1)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        mi.save()


def test_database_refuses_a_second_interest_from_the_same_student():
    first = ExpressionOfInterestFactory()
    with (
        pytest.raises(
            IntegrityError,
            match="one_interest_per_student|UNIQUE constraint failed: "
            "applications_expressionofinterest.student_id",
        ),
        transaction.atomic(),
    ):
        ExpressionOfInterest.objects.create(
            student=first.student,
            micro_internship=first.micro_internship,
            statement="Again",
            received_at=timezone.now(),
            state_changed_at=timezone.now(),
        )
    assert ExpressionOfInterest.objects.count() == 1


def test_domain_refuses_a_second_interest_with_a_kind_message():
    first = ExpressionOfInterestFactory()
    with pytest.raises(InterestRefused, match="already said you are interested"):
        record_interest(first.student, first.micro_internship, statement="Me again")
    assert ExpressionOfInterest.objects.count() == 1


def test_form_page_refuses_a_second_interest_and_keeps_the_text(client, make_user):
    mi = MicroInternshipFactory(open_now=True)
    student = StudentFactory(with_user=True)
    client.force_login(student.user)
    url = f"/my/interest/{mi.reference}/"
    typed = {"statement": "I care about food poverty.", "can_attend": "on"}
    assert client.post(url, typed).status_code == 302
    second = client.post(url, {**typed, "statement": "Second try, same day."})
    assert second.status_code == 200
    page = second.content.decode()
    assert "already said you are interested" in page
    assert "Second try, same day." in page
    assert ExpressionOfInterest.objects.filter(student=student).count() == 1
    assert student.user.role == Role.STUDENT


def test_statement_over_the_word_limit_is_refused_on_the_web_but_kept(client):
    mi = MicroInternshipFactory(open_now=True)
    student = StudentFactory(with_user=True)
    client.force_login(student.user)
    long_text = " ".join(["word"] * 151)
    response = client.post(
        f"/my/interest/{mi.reference}/", {"statement": long_text, "can_attend": "on"}
    )
    page = response.content.decode()
    assert "Your answer has 151 words. Please shorten it to 150 words or fewer." in page
    assert long_text in page
    assert "There is a problem" in page
    assert not ExpressionOfInterest.objects.exists()


def test_an_emailed_statement_over_the_limit_is_kept_whole_and_flagged():
    from microintern.applications.enums import Source

    mi = MicroInternshipFactory(open_now=True)
    long_text = " ".join(["word"] * 300)
    interest = record_interest(StudentFactory(), mi, statement=long_text, source=Source.EMAIL)
    assert interest.statement == long_text
    assert interest.statement_over_limit


def test_interest_in_a_closed_micro_internship_is_refused():
    mi = MicroInternshipFactory()  # still a draft
    with pytest.raises(InterestRefused, match="not open for interest"):
        record_interest(StudentFactory(), mi, statement="Hello")
