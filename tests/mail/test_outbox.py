"""The outbox: every email is a row; delivery through a real SMTP server (aiosmtpd)."""

import smtplib
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.core.models import ActivityLog
from microintern.mail.enums import MessageState
from microintern.mail.models import OutboundMessage
from microintern.mail.outbox import (
    classify_error,
    queue_email,
    release_held,
    retry_due,
    retry_failed,
)
from microintern.mail.templating import UnknownEmailRole
from tests import smtp_sink as sink
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.mail.test_hold_action import run_worker

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def place_context(interest):
    return {"interest": interest, "student": interest.student, "mi": interest.micro_internship}


def test_a_queued_email_is_stored_rendered_and_sent_once_with_its_stored_message_id(smtp_sink):
    interest = ExpressionOfInterestFactory()
    with transaction.atomic():
        message = queue_email(
            "place_offered",
            to=interest.student.email,
            context=place_context(interest),
            person=interest.student,
            about=interest,
            headers={"X-Microintern-Role": "place_offered"},
            attachments=[("note.txt", b"hello", "text/plain")],
            reply_to="clinic@example.ac.uk",
        )
        assert message.state == MessageState.QUEUED
        assert smtp_sink.received == []  # nothing leaves before the commit
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.attempts == 1
    assert message.person == interest.student and message.about == interest
    [received] = smtp_sink.received
    assert received.rcpt_tos == [interest.student.email]
    assert received.message_id == message.message_id
    assert received.subject == message.subject
    assert interest.micro_internship.title in message.subject
    assert f"Hello {interest.student.display_name}" in received.body
    assert received.message["X-Microintern-Role"] == "place_offered"
    assert received.message["Reply-To"] == "clinic@example.ac.uk"
    assert [p.get_filename() for p in received.message.iter_attachments()] == ["note.txt"]


def test_a_rolled_back_change_sends_nothing_and_leaves_no_row(smtp_sink):
    interest = ExpressionOfInterestFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email("place_offered", to=interest.student.email, context=place_context(interest))
        raise RuntimeError("the change failed")
    assert OutboundMessage.objects.count() == 0
    assert smtp_sink.received == []


def test_with_the_database_queue_the_delivery_task_commits_or_rolls_back_with_the_email(
    smtp_sink, worker_queue
):
    interest = ExpressionOfInterestFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email("place_offered", to=interest.student.email, context=place_context(interest))
        raise RuntimeError("the change failed")
    assert not DBTaskResult.objects.exists()
    run_worker()
    assert smtp_sink.received == []

    with transaction.atomic():
        message = queue_email(
            "place_offered", to=interest.student.email, context=place_context(interest)
        )
    [task] = DBTaskResult.objects.all()
    assert task.task_path.endswith("deliver_message") and task.args_kwargs["args"] == [message.pk]
    run_worker()
    assert [r.rcpt_tos for r in smtp_sink.received] == [[interest.student.email]]


@pytest.mark.postgres
def test_the_worker_cannot_send_an_email_before_its_change_commits(smtp_sink, worker_queue):
    interest = ExpressionOfInterestFactory()
    errors = []

    def worker_in_its_own_connection():  # the command's loop, without its signal handlers
        try:
            Worker(
                queue_names=["default"],
                excluded_queue_names=[],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id="beside-the-transaction",
            ).run()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    with transaction.atomic():
        queue_email("place_offered", to=interest.student.email, context=place_context(interest))
        worker = threading.Thread(target=worker_in_its_own_connection)
        worker.start()
        worker.join(timeout=60)
        assert not errors and not worker.is_alive()
        assert smtp_sink.received == []
    run_worker()
    assert [r.rcpt_tos for r in smtp_sink.received] == [[interest.student.email]]


def test_the_same_dedupe_key_returns_the_first_message_and_sends_nothing_more(smtp_sink):
    interest = ExpressionOfInterestFactory()
    first = queue_email(
        "interest_acknowledged",
        to=interest.student.email,
        context=place_context(interest),
        dedupe_key="ack:inbound-42",
    )
    again = queue_email(
        "interest_acknowledged",
        to=interest.student.email,
        context=place_context(interest),
        dedupe_key="ack:inbound-42",
    )
    assert again.pk == first.pk
    assert OutboundMessage.objects.count() == 1
    assert len(smtp_sink.received) == 1


def test_held_drafts_wait_for_review_then_release_sends_them(smtp_sink, make_user):
    staff = make_user("staff")
    interests = [ExpressionOfInterestFactory() for _ in range(3)]
    drafts = [
        queue_email("place_offered", to=i.student.email, context=place_context(i), hold=True)
        for i in interests
    ]
    assert {m.state for m in drafts} == {MessageState.DRAFT}
    assert smtp_sink.received == []
    assert release_held([m.pk for m in drafts[:2]], staff) == 2
    assert len(smtp_sink.received) == 2
    assert release_held([m.pk for m in drafts[:2]], staff) == 0  # already sent: no resend
    assert len(smtp_sink.received) == 2
    states = dict(OutboundMessage.objects.values_list("pk", "state"))
    assert [states[m.pk] for m in drafts] == ["sent", "sent", "draft"]
    assert ActivityLog.objects.filter(action="email.released", actor=staff).count() == 2


def test_a_permanent_refusal_marks_the_message_failed_with_the_reason(smtp_sink, make_user):
    student = StudentFactory()
    smtp_sink.refuse[student.email] = (550, "5.1.1 No such mailbox here")
    message = queue_email(
        "place_withdrawn",
        to=student.email,
        context={"student": student, "mi": ExpressionOfInterestFactory().micro_internship},
        person=student,
    )
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert "550" in message.last_error and "No such mailbox" in message.last_error
    assert ActivityLog.objects.filter(action="email.failed", object_id=str(message.pk)).exists()
    # Staff fix the problem and retry: it is sent, once.
    del smtp_sink.refuse[student.email]
    assert retry_failed(message, make_user("staff"))
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert len(smtp_sink.to(student.email)) == 1


def test_a_temporary_refusal_retries_with_back_off_and_then_sends(smtp_sink):
    student = StudentFactory()
    smtp_sink.refuse[student.email] = (451, "4.3.0 Try again later")
    mi = ExpressionOfInterestFactory().micro_internship
    message = queue_email(
        "place_withdrawn", to=student.email, context={"student": student, "mi": mi}
    )
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert message.attempts == 1
    assert "451" in message.last_error
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert retry_due() == 0  # not due yet
    assert smtp_sink.to(student.email) == []
    del smtp_sink.refuse[student.email]
    assert retry_due(now=message.next_attempt_at + timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.attempts == 2
    assert len(smtp_sink.to(student.email)) == 1


def test_an_unreachable_server_is_temporary_and_gives_up_after_the_attempt_limit(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.free_port()  # nobody listens
    settings.MICROINTERN_OUTBOX = {**settings.MICROINTERN_OUTBOX, "MAX_ATTEMPTS": 3}
    interest = ExpressionOfInterestFactory()
    message = queue_email(
        "place_offered", to=interest.student.email, context=place_context(interest)
    )
    later = timezone.now()
    for attempt in (1, 2):
        message.refresh_from_db()
        assert (message.state, message.attempts) == (MessageState.QUEUED, attempt)
        assert "Could not reach the mail server" in message.last_error
        later += timedelta(days=1)
        retry_due(now=later)
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.last_error.startswith("Gave up after 3 attempts")


def test_a_sending_row_whose_lease_expired_is_retried_with_the_same_message_id(smtp_sink):
    interest = ExpressionOfInterestFactory()
    message = queue_email(
        "place_offered", to=interest.student.email, context=place_context(interest), hold=True
    )
    # As a worker killed after claiming it leaves it: "sending", a lease, a Message-ID.
    OutboundMessage.objects.filter(pk=message.pk).update(
        state=MessageState.SENDING,
        attempts=1,
        message_id="<kept@example.ac.uk>",
        lease_expires_at=timezone.now() + timedelta(minutes=10),
    )
    assert retry_due() == 0  # the lease still holds: another worker may be sending it
    assert retry_due(now=timezone.now() + timedelta(minutes=11)) == 1
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert [r.message_id for r in smtp_sink.received] == ["<kept@example.ac.uk>"]


def test_place_emails_go_through_the_outbox_with_the_invite_attached(smtp_sink):
    interest = ExpressionOfInterestFactory()
    transition_place(interest, PlaceState.OFFERED)
    transition_place(interest, PlaceState.ACCEPTED)
    roles = list(
        OutboundMessage.objects.filter(to=interest.student.email)
        .order_by("id")
        .values_list("role", "state")
    )
    assert roles == [("place_offered", "sent"), ("place_confirmed", "sent")]
    confirmed = smtp_sink.to(interest.student.email)[-1].message
    [invite] = list(confirmed.iter_attachments())
    assert invite.get_content_type() == "text/calendar"
    assert invite.get_filename() == f"{interest.micro_internship.reference}.ics"


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x.example": (550, b"No such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x.example": (452, b"Mailbox full")}), False),
        (smtplib.SMTPDataError(554, b"Message rejected as spam"), True),
        (smtplib.SMTPDataError(451, b"Local error"), False),
        (smtplib.SMTPAuthenticationError(535, b"Bad credentials"), False),
        (smtplib.SMTPSenderRefused(550, b"Sender not allowed", "x@y"), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
    ],
)
def test_errors_are_classified_as_permanent_only_when_about_this_message(error, permanent):
    assert classify_error(error)[0] is permanent


def test_an_email_role_without_a_template_is_an_error_not_a_blank_email():
    with pytest.raises(UnknownEmailRole, match="no_such_role.txt"):
        queue_email("no_such_role", to="someone@example.ac.uk", context={})
    assert not OutboundMessage.objects.exists()
