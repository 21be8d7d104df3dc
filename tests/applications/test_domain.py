"""The place lifecycle: one transition function, allowed moves only, logged, emailed."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PLACE_TRANSITIONS, PlaceState
from microintern.core.errors import CapacityFull, TransitionNotAllowed
from microintern.core.models import ActivityLog
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory, on_the_day

pytestmark = pytest.mark.django_db(transaction=True)


def test_offer_then_accept_saves_logs_and_emails(make_user):
    staff = make_user("staff")
    interest = ExpressionOfInterestFactory()
    transition_place(interest, PlaceState.OFFERED, actor=staff, reason="Priority group 1.")
    assert interest.state == PlaceState.OFFERED
    assert interest.offer_expires_at > timezone.now() + timedelta(hours=71)
    assert mail.outbox[-1].to == [interest.student.email]
    assert "A place for you" in mail.outbox[-1].subject
    assert "Priority group 1." in mail.outbox[-1].body

    transition_place(interest, PlaceState.ACCEPTED, actor=interest.student.user)
    assert interest.state == PlaceState.ACCEPTED
    actions = list(
        ActivityLog.objects.filter(object_id=str(interest.pk))
        .order_by("id")
        .values_list("action", "actor__email")
    )
    assert actions == [
        ("place.offered", staff.email),
        ("place.accepted", interest.student.user.email),
    ]
    assert "You're in" in mail.outbox[-1].subject


def test_accepting_an_expired_offer_is_refused_naming_both_states():
    interest = ExpressionOfInterestFactory()
    transition_place(interest, PlaceState.OFFERED)
    transition_place(interest, PlaceState.EXPIRED)
    before = ActivityLog.objects.count()
    sent = len(mail.outbox)
    with pytest.raises(TransitionNotAllowed) as refusal:
        transition_place(interest, PlaceState.ACCEPTED)
    assert str(refusal.value) == "This place cannot move from “Offer expired” to “Place accepted”."
    interest.refresh_from_db()
    assert interest.state == PlaceState.EXPIRED
    assert ActivityLog.objects.count() == before
    assert len(mail.outbox) == sent


def test_an_offer_past_its_reply_by_time_cannot_be_accepted():
    interest = ExpressionOfInterestFactory()
    transition_place(interest, PlaceState.OFFERED)
    with pytest.raises(TransitionNotAllowed, match="reply-by time"):
        transition_place(
            interest, PlaceState.ACCEPTED, now=interest.offer_expires_at + timedelta(minutes=1)
        )
    interest.refresh_from_db()
    assert interest.state == PlaceState.OFFERED


def test_offers_never_exceed_capacity():
    mi = MicroInternshipFactory(open_now=True, capacity=2)
    interests = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(3)]
    transition_place(interests[0], PlaceState.OFFERED)
    transition_place(interests[1], PlaceState.OFFERED)
    with pytest.raises(CapacityFull, match="All 2 places"):
        transition_place(interests[2], PlaceState.OFFERED)
    # A declined offer frees the seat.
    transition_place(interests[0], PlaceState.DECLINED)
    transition_place(interests[2], PlaceState.OFFERED)
    assert mi.interests.filter(state=PlaceState.OFFERED).count() == 2


def test_every_disallowed_move_is_refused():
    for from_state, allowed in PLACE_TRANSITIONS.items():
        for to_state in set(PlaceState) - set(allowed):
            interest = ExpressionOfInterestFactory(
                state=from_state, offer_expires_at=timezone.now() + timedelta(days=1)
            )
            with pytest.raises(TransitionNotAllowed):
                transition_place(interest, to_state)
            interest.refresh_from_db()
            assert interest.state == from_state


def test_no_show_gets_a_kind_message_not_a_ban():
    interest = ExpressionOfInterestFactory()
    for state in (PlaceState.OFFERED, PlaceState.ACCEPTED):
        transition_place(interest, state)
    with on_the_day(interest.micro_internship):
        transition_place(interest, PlaceState.NO_SHOW)
    assert "is everything all right?" in mail.outbox[-1].subject
    assert "there is no penalty" in mail.outbox[-1].body


def test_the_confirmation_email_carries_a_calendar_invite_for_the_day():
    from icalendar import Calendar

    interest = ExpressionOfInterestFactory()
    transition_place(interest, PlaceState.OFFERED)
    transition_place(interest, PlaceState.ACCEPTED)
    filename, content, mimetype = mail.outbox[-1].attachments[0]
    assert (filename, mimetype) == (f"{interest.micro_internship.reference}.ics", "text/calendar")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == interest.micro_internship.starts_at.replace(microsecond=0)
    assert interest.micro_internship.reference in str(event.get("summary"))
