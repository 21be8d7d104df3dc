"""Changing a micro-internship's details takes plain values, not a form."""

from datetime import timedelta

import pytest
from django.utils import timezone

from microintern.applications.enums import PlaceState
from microintern.core.errors import TransitionNotAllowed
from microintern.core.models import ActivityLog
from microintern.programme import hooks
from microintern.programme.domain import apply_interest_windows, update_micro_internship
from microintern.programme.enums import MicroInternshipState
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def test_details_are_saved_from_plain_values_and_the_changed_fields_logged():
    mi = MicroInternshipFactory(capacity=8)
    update_micro_internship(
        mi, {"capacity": 6, "what_to_bring": "A laptop", "venue_address": mi.venue_address}
    )
    mi.refresh_from_db()
    assert (mi.capacity, mi.what_to_bring) == (6, "A laptop")
    logged = ActivityLog.objects.filter(action="micro_internship.updated").get()
    assert sorted(logged.data["fields"]) == ["capacity", "what_to_bring"]


def test_capacity_cannot_go_below_the_places_given_out():
    mi = MicroInternshipFactory(capacity=5)
    ExpressionOfInterestFactory(
        micro_internship=mi, state=PlaceState.OFFERED, offer_expires_at=mi.starts_at
    )
    for state in (PlaceState.ACCEPTED, PlaceState.ATTENDED):
        ExpressionOfInterestFactory(micro_internship=mi, state=state)
    ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.DECLINED)
    assert hooks.places_taken(mi) == 3
    with pytest.raises(TransitionNotAllowed, match="3 places are already offered or taken"):
        update_micro_internship(mi, {"capacity": 2})
    mi.refresh_from_db()
    assert mi.capacity == 5


def test_a_hook_calls_each_callback_once_in_the_order_registered():
    hook, called = hooks.Hook(), []

    def first(value):
        called.append(("first", value))

    def second(value):
        called.append(("second", value))

    for callback in (first, second, first):
        hook.register(callback)
    hook(7)
    assert called == [("first", 7), ("second", 7)]


def test_the_interest_window_opens_and_closes_on_its_dates():
    now = timezone.now()
    due = MicroInternshipFactory(interest_opens_at=now - timedelta(minutes=1))
    ended = MicroInternshipFactory(
        state=MicroInternshipState.OPEN,
        starts_at=now + timedelta(days=5),
        interest_opens_at=now - timedelta(days=10),
        interest_closes_at=now - timedelta(minutes=1),
    )
    assert apply_interest_windows() == "opened 1, closed 1"
    due.refresh_from_db()
    ended.refresh_from_db()
    assert (due.state, ended.state) == (MicroInternshipState.OPEN, MicroInternshipState.CLOSED)
    assert apply_interest_windows() == ""
