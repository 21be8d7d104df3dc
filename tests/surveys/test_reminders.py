"""One reminder, through the outbox, to a survey invitation left unanswered for a few days."""

from datetime import timedelta

import pytest
from django.utils import timezone

from microintern.mail.models import OutboundMessage
from microintern.surveys import domain
from microintern.surveys.enums import InstrumentKind
from microintern.surveys.models import Invitation
from tests.accounts.factories import StudentFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def invited(kind=InstrumentKind.STUDENT_POST, days_ago=6, **kwargs):
    invitation = domain.invite(kind, student=StudentFactory(), **kwargs)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return invitation


def reminders():
    return OutboundMessage.objects.filter(role="survey_reminder")


def test_an_unanswered_invitation_gets_one_reminder_from_the_periodic_job(settings):
    settings.MICROINTERN = {**settings.MICROINTERN, "SURVEY_REMINDER_DAYS": 5}
    due = invited(days_ago=6)
    invited(days_ago=3)  # not yet due

    domain.invite_due()
    domain.invite_due()

    (message,) = reminders()
    assert message.to == due.student.email
    assert f"/surveys/{due.token}/" in message.body
    assert "only reminder" in message.body
    assert message.subject.startswith("Reminder: ")
    due.refresh_from_db()
    assert due.reminded_at is not None
    assert domain.remind_due() == 0


def test_no_reminder_after_an_answer():
    answered = invited(days_ago=6)
    domain.record_response(answered, {"caas_concern_1": 4})
    assert domain.remind_due() == 0
    assert not reminders().exists()


def test_the_delay_is_a_setting(settings):
    invited(days_ago=3)
    settings.MICROINTERN = {**settings.MICROINTERN, "SURVEY_REMINDER_DAYS": 2}
    assert domain.remind_due() == 1


def test_old_invitations_and_pre_surveys_after_the_day_are_left_alone():
    invited(days_ago=60)
    started = MicroInternshipFactory(starts_at=timezone.now() - timedelta(hours=2))
    invited(InstrumentKind.STUDENT_PRE, micro_internship=started)
    assert domain.remind_due() == 0


def test_a_host_is_reminded_too():
    contact = ChallengeFactory().contact
    invitation = domain.invite(InstrumentKind.HOST, host_contact=contact)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=6)
    )
    assert domain.remind_due() == 1
    assert reminders().get().to == contact.email
