"""Staff hold back the emails of a mistaken action (a bulk decision, a cancelled day)
before they go: the real task worker (`db_worker`) and a real SMTP server (aiosmtpd)
show that a held email is never sent, a released one is, and a sent one stays sent."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from microintern.applications.enums import PlaceState
from microintern.core.errors import TransitionNotAllowed
from microintern.core.models import ActivityLog
from microintern.mail.enums import MessageState
from microintern.mail.models import OutboundMessage
from microintern.mail.outbox import (
    action_emails,
    deliver,
    discard_held,
    hold_action,
    one_action,
    queue_email,
    transition_messages,
)
from microintern.programme.enums import MicroInternshipState
from tests import smtp_sink as sink
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def run_worker(*extra):
    call_command("db_worker", "--batch", "--no-startup-delay", *extra, verbosity=0)


def waitlist(client, mi, interests):
    return client.post(
        reverse("staff:decide_places", args=[mi.pk]),
        {"place": [i.pk for i in interests], "to_state": "waitlisted", "reason": "Full."},
        follow=True,
    )


def states(messages):
    return sorted(OutboundMessage.objects.get(pk=m.pk).state for m in messages)


def test_a_bulk_decisions_emails_are_held_before_the_worker_and_never_sent(
    staff_client, smtp_sink, worker_queue
):
    mi = MicroInternshipFactory(open_now=True)
    ticked = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(3)]
    page = waitlist(staff_client, mi, ticked)
    text = page.content.decode()
    assert "This action queued 3 emails:" in text and "3 still queued" in text
    assert "Hold all 3 queued emails of this action" in text
    [action] = set(OutboundMessage.objects.values_list("action", flat=True))

    held = staff_client.post(
        reverse("staff:decide_action_emails", args=[action]),
        {"do": "hold", "next": page.redirect_chain[-1][0]},
        follow=True,
    ).content.decode()
    assert "3 emails held back: they will not be sent unless you release them." in held
    assert "3 held back" in held and "Release the 3 held emails" in held

    run_worker()
    assert smtp_sink.received == []
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {MessageState.HELD}
    assert ActivityLog.objects.filter(action="email.held").count() == 3


def test_released_emails_are_sent_once_and_discarded_ones_never(
    staff_client, smtp_sink, worker_queue
):
    mi = MicroInternshipFactory(open_now=True)
    first = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(2)]
    second = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(2)]
    waitlist(staff_client, mi, first)
    first_action = OutboundMessage.objects.get(to=first[0].student.email).action
    waitlist(staff_client, mi, second)
    second_action = OutboundMessage.objects.get(to=second[0].student.email).action
    assert first_action != second_action
    for action in (first_action, second_action):
        staff_client.post(reverse("staff:decide_action_emails", args=[action]), {"do": "hold"})

    staff_client.post(reverse("staff:decide_action_emails", args=[first_action]), {"do": "release"})
    page = staff_client.post(
        reverse("staff:decide_action_emails", args=[second_action]), {"do": "discard"}, follow=True
    ).content.decode()
    assert "2 held emails discarded: they will never be sent." in page
    run_worker()
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == sorted(
        i.student.email for i in first
    )
    discarded = OutboundMessage.objects.filter(action=second_action)
    assert set(discarded.values_list("state", flat=True)) == {MessageState.DISCARDED}
    run_worker()
    assert len(smtp_sink.received) == 2  # nothing sent twice, nothing discarded sent


def test_emails_already_sent_show_as_sent_and_only_the_rest_are_held(
    staff_client, smtp_sink, worker_queue
):
    mi = MicroInternshipFactory(open_now=True)
    ticked = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(3)]
    waitlist(staff_client, mi, ticked)
    [action] = set(OutboundMessage.objects.values_list("action", flat=True))
    first = OutboundMessage.objects.filter(action=action).order_by("pk").first()
    assert deliver(first.pk) == MessageState.SENT  # what the worker does for one email
    assert len(smtp_sink.received) == 1
    summary = action_emails(action)
    assert (summary.total, summary.on_its_way, summary.queued) == (3, 1, 2)
    page = staff_client.get(reverse("staff:action_emails", args=[action])).content.decode()
    assert "1 sent or being sent (too late to hold back)" in page
    assert "Hold all 2 queued emails of this action" in page
    assert hold_action(action, None) == 2
    sent = OutboundMessage.objects.get(action=action, state=MessageState.SENT)
    assert discard_held([sent.pk], None) == 0  # a sent email cannot be discarded
    run_worker()
    assert len(smtp_sink.received) == 1
    again = staff_client.post(
        reverse("staff:decide_action_emails", args=[action]), {"do": "hold"}, follow=True
    ).content.decode()
    assert "Nothing was held back" in again


def test_cancelling_a_day_offers_to_hold_the_emails_it_queued(
    staff_client, smtp_sink, worker_queue
):
    mi = MicroInternshipFactory(state=MicroInternshipState.CLOSED)
    for state in (PlaceState.RECEIVED, PlaceState.WAITLISTED):
        ExpressionOfInterestFactory(micro_internship=mi, state=state)
    page = staff_client.post(
        reverse("staff:micro_internship_state", args=[mi.pk]),
        {"to_state": "cancelled", "reason": "The venue flooded.", "confirmed": "on"},
        follow=True,
    ).content.decode()
    queued = OutboundMessage.objects.filter(state=MessageState.QUEUED)
    count = queued.count()
    assert count >= 3  # the two students and the host
    assert f"This action queued {count} emails:" in page
    [action] = set(queued.values_list("action", flat=True))
    assert hold_action(action, None) == count
    run_worker()
    assert smtp_sink.received == []


def test_only_queued_emails_can_be_held_and_emails_outside_an_action_are_not_tagged(smtp_sink):
    interest = ExpressionOfInterestFactory()
    context = {"student": interest.student, "mi": interest.micro_internship}
    untagged = queue_email("place_withdrawn", to=interest.student.email, context=context)
    with one_action() as action:
        tagged = queue_email("place_withdrawn", to="other@example.ac.uk", context=context)
    assert untagged.action == "" and tagged.action == action
    with pytest.raises(TransitionNotAllowed):
        transition_messages([tagged.pk], MessageState.HELD, from_state=MessageState.SENT)
    with pytest.raises(TransitionNotAllowed):
        transition_messages([tagged.pk], MessageState.SENT, from_state=MessageState.HELD)
    assert hold_action(action, None) == 0  # sent already (tasks ran at once)
    assert states([tagged]) == [MessageState.SENT]
