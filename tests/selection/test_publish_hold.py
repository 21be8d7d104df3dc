"""Staff publish a round with its emails held for a check: the places are decided at once,
but the real task worker (`db_worker`) sends none of the offer, waiting-list or
not-selected emails until staff release them from the round's page, and then each exactly
once; discarded, none is ever sent. A real SMTP server (aiosmtpd) receives what is sent."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from microintern.applications.enums import PlaceState
from microintern.mail.enums import MessageState
from microintern.mail.models import OutboundMessage
from microintern.selection import domain
from microintern.selection.domain import waiting_lists
from microintern.selection.enums import RoundState
from tests import smtp_sink as sink
from tests.accounts.factories import sign_in

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def publish_held(client, build_round):
    """Three students for two places, published through the page with the emails held
    and the worker run: the round and its students."""
    selection_round, _mis, students, staff = build_round(capacities=(2,), interests=[(0,)] * 3)
    run = domain.dry_run(selection_round, reason="Check.", actor=staff)
    sign_in(client, staff)
    page = client.post(
        reverse("staff:selection_publish", args=[selection_round.pk]),
        {"run": run.pk, "hold_emails": "yes"},
        follow=True,
    ).content.decode()
    assert "their emails held for a check on this page; none goes until released" in page
    run_worker()
    selection_round.refresh_from_db()
    return selection_round, students


def round_page(client, selection_round) -> str:
    return client.get(reverse("staff:selection_round", args=[selection_round.pk])).content.decode()


def decide(client, selection_round, do: str) -> str:
    return client.post(
        reverse("staff:decide_action_emails", args=[selection_round.publish_emails]),
        {"do": do, "next": reverse("staff:selection_round", args=[selection_round.pk])},
        follow=True,
    ).content.decode()


def test_held_emails_of_publishing_wait_for_release_then_go_once_each(
    client, build_round, smtp_sink, worker_queue
):
    selection_round, students = publish_held(client, build_round)
    assert selection_round.state == RoundState.PUBLISHED  # the places are decided
    states = {i.state for s in students for i in s.interests.all()}
    assert states == {PlaceState.OFFERED, PlaceState.WAITLISTED}
    assert smtp_sink.received == []  # the worker ran: nothing went
    emails = OutboundMessage.objects.filter(action=selection_round.publish_emails)
    assert sorted(emails.values_list("to", flat=True)) == sorted(s.email for s in students)
    assert set(emails.values_list("state", flat=True)) == {MessageState.DRAFT}

    page = round_page(client, selection_round)
    assert "This action queued 3 emails:" in page and "3 held back" in page
    assert "Release the 3 held emails" in page and "Discard the 3 held emails" in page
    run_worker()
    assert smtp_sink.received == []  # still held

    assert "3 held emails released for sending." in decide(client, selection_round, "release")
    run_worker()
    run_worker()  # a second pass sends nothing again
    assert sorted(r.rcpt_tos[0] for r in smtp_sink.received) == sorted(s.email for s in students)
    offers = [m for m in smtp_sink.received if m.subject.startswith("A place for you")]
    assert len(offers) == 2
    assert set(emails.values_list("state", flat=True)) == {MessageState.SENT}


def test_discarded_emails_of_publishing_are_never_sent(
    client, build_round, smtp_sink, worker_queue
):
    selection_round, students = publish_held(client, build_round)
    page = decide(client, selection_round, "discard")
    assert "3 held emails discarded: they will never be sent." in page
    assert "3 discarded" in page
    run_worker()
    assert smtp_sink.received == []
    emails = OutboundMessage.objects.filter(action=selection_round.publish_emails)
    assert set(emails.values_list("state", flat=True)) == {MessageState.DISCARDED}
    offered = [i for s in students for i in s.interests.filter(state=PlaceState.OFFERED)]
    assert len(offered) == 2  # discarding the emails does not undo the places


def test_an_offer_does_not_expire_while_its_email_is_held(
    client, build_round, smtp_sink, worker_queue
):
    selection_round, students = publish_held(client, build_round)
    offered = [i for s in students for i in s.interests.filter(state=PlaceState.OFFERED)]
    after_reply_by = max(i.offer_expires_at for i in offered) + timedelta(hours=1)
    assert waiting_lists.expire_offers(now=after_reply_by) == ""  # nobody was told yet
    for interest in offered:
        interest.refresh_from_db()
        assert interest.state == PlaceState.OFFERED
    decide(client, selection_round, "release")
    assert waiting_lists.expire_offers(now=after_reply_by) == "expired 2 offers"
