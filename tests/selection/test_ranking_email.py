"""Ranking by email: "my first choice", "second choice", "my 2nd choice" are understood, and
the new interest takes that place among the student's choices in the round."""

import pytest
from django.utils import timezone

from microintern.applications import ranking
from microintern.applications.domain import keep_interest
from microintern.applications.models import ExpressionOfInterest
from microintern.mail.inbound import pipeline, store
from microintern.mail.inbound.enums import MessageState
from microintern.mail.inbound.interpret import find_choice
from microintern.selection import domain
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.mail.inbound.helpers import eoi
from tests.programme.factories import MicroInternshipFactory


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("This is my first choice.", 1),
        ("It would be my top choice", 1),
        ("second choice please", 2),
        ("MI-2026-007 is my 2nd choice", 2),
        ("my 3rd choice", 3),
        ("My First-Choice!", 1),
        ("It is my 12th choice", 12),
        ("It is not my first choice", None),
        ("my first choice, or maybe my second choice", None),
        ("I had a choice of two", None),
        ("", None),
    ],
)
def test_choice_wording_is_understood(text, choice):
    assert find_choice(text) == choice


@pytest.mark.django_db
def test_an_email_saying_first_choice_puts_it_first(settings, make_user):
    settings.MICROINTERN = {**settings.MICROINTERN, "UNIVERSITY_EMAIL_DOMAINS": ["example.ac.uk"]}
    ana = StudentFactory(email="a.pereira@student.example.ac.uk")
    emailed = MicroInternshipFactory(open_now=True, reference="MI-2026-007")
    others = [MicroInternshipFactory(open_now=True) for _ in range(2)]
    for n, mi in enumerate(others):
        ExpressionOfInterestFactory(
            student=ana,
            micro_internship=mi,
            verified_at=timezone.now(),
            received_at=timezone.now() - timezone.timedelta(hours=2 - n),
        )
    domain.create_round(
        name="Spring round",
        micro_internships=[emailed, *others],
        priority=["first_time"],
        actor=make_user("staff"),
    )
    stored = store.store_message(
        eoi(body="Hello,\n\nMI-2026-007 is my first choice: I care for my gran.\n\nAna")
    )
    pipeline.process_message(stored.message.pk)
    stored.message.refresh_from_db()
    assert stored.message.state == MessageState.INTEREST_CREATED
    (choices,) = ranking.choices_of(ana)
    # not a choice until Ana keeps it (it was made by email, not yet proved hers) ...
    assert [i.micro_internship for i in choices.interests] == others
    keep_interest(stored.message.interest, actor=ana.user)
    (choices,) = ranking.choices_of(ana)
    # ... and then it is where the email put it
    assert [i.micro_internship for i in choices.interests] == [emailed, *others]
    new = ExpressionOfInterest.objects.get(student=ana, micro_internship=emailed)
    assert choices.position_of(new) == 1
