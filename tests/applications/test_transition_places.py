"""Many places moving together (a published round) follow the rules of the one-by-one
transition, all or nothing, with the same logs and the same emails."""

import re

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from microintern.accounts.models import Student
from microintern.applications.domain import (
    apply_places,
    plan_places,
    transition_place,
    transition_places,
)
from microintern.applications.enums import PlaceState
from microintern.core.errors import CapacityFull, ChangedSinceRead, TransitionNotAllowed
from microintern.core.models import ActivityLog
from microintern.mail.models import OutboundMessage
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

MOVES = [PlaceState.OFFERED, PlaceState.WAITLISTED, PlaceState.NOT_SELECTED]


def three_interests(capacity=1, students=None):
    mi = MicroInternshipFactory(open_now=True, capacity=capacity)
    return mi, [
        ExpressionOfInterestFactory(micro_internship=mi, **({"student": s} if s else {}))
        for s in students or [None] * len(MOVES)
    ]


def emails_and_logs(mi):
    """What the students were sent and what was logged, with the micro-internship's title
    and reference written generically so that two micro-internships can be compared."""

    def generic(text):
        text = re.sub(r"https?://\S+", "LINK", text)  # each offer's own signed link
        for value, name in (
            (mi.reference, "REF"),
            (mi.title, "TITLE"),
            (mi.challenge.organisation.name, "HOST"),
        ):
            text = text.replace(value, name)
        return text

    emails = sorted(
        (m.role, m.to, generic(m.subject), generic(m.body)) for m in OutboundMessage.objects.all()
    )
    logs = sorted(
        (a.action, a.data["from_state"], a.data["reason"])
        for a in ActivityLog.objects.filter(action__startswith="place.")
    )
    OutboundMessage.objects.all().delete()
    ActivityLog.objects.all().delete()
    return emails, logs


def test_together_gives_the_same_places_logs_and_emails_as_one_by_one(
    django_capture_on_commit_callbacks,
):
    first_mi, one_by_one = three_interests()
    for interest, state in zip(one_by_one, MOVES, strict=True):
        transition_place(interest, state, reason=f"Because {state.label}.")
    singly = emails_and_logs(first_mi)

    mi, together = three_interests(students=[i.student for i in one_by_one])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        moved = transition_places(
            [(i, s, f"Because {s.label}.") for i, s in zip(together, MOVES, strict=True)]
        )
    assert [p.state for p in moved] == MOVES
    for interest in together:
        interest.refresh_from_db()
    assert [i.state for i in together] == MOVES
    assert together[0].offer_expires_at is not None
    assert [i.outcome_reason for i in together] == [f"Because {s.label}." for s in MOVES]
    assert len(callbacks) == 1  # every email enqueued for delivery in one go after commit
    assert sorted(m.to[0] for m in mail.outbox) == sorted(i.student.email for i in together)
    assert emails_and_logs(mi) == singly
    assert len(singly[0]) == 3


def test_more_offers_than_places_changes_nothing():
    mi, interests = three_interests(capacity=1)
    with pytest.raises(CapacityFull, match=f"All 1 places on {mi.reference}"):
        transition_places([(i, PlaceState.OFFERED, "") for i in interests[:2]])
    assert {i.state for i in mi.interests.all()} == {PlaceState.RECEIVED}
    assert not OutboundMessage.objects.exists()
    assert not ActivityLog.objects.filter(action__startswith="place.").exists()


def test_a_move_the_lifecycle_does_not_allow_refuses_them_all():
    mi, (first, second, _) = three_interests(capacity=2)
    with pytest.raises(TransitionNotAllowed):
        transition_places([(first, PlaceState.OFFERED, ""), (second, PlaceState.ATTENDED, "")])
    assert {i.state for i in mi.interests.all()} == {PlaceState.RECEIVED}
    assert not OutboundMessage.objects.exists()


def test_places_already_taken_count_against_the_capacity():
    mi, (holder, newcomer, _) = three_interests(capacity=1)
    transition_place(holder, PlaceState.OFFERED)
    with pytest.raises(CapacityFull):
        transition_places([(newcomer, PlaceState.OFFERED, "")])
    newcomer.refresh_from_db()
    assert newcomer.state == PlaceState.RECEIVED


def test_the_statements_do_not_grow_with_the_number_of_places():
    """Publishing 3 or 10 places costs the same statements (bulk writes, one lock each)."""
    counts = []
    for size in (3, 10):
        mi = MicroInternshipFactory(open_now=True, capacity=size)
        interests = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(size)]
        with CaptureQueriesContext(connection) as queries:
            transition_places([(i, PlaceState.OFFERED, "") for i in interests])
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_seat_taken_after_planning_is_found_under_the_lock_and_nothing_is_written():
    """`plan_places` reads without locks (before the write transaction, on SQLite); a place
    someone else takes before `apply_places` changes the seats it counted."""
    mi, (holder, newcomer, _) = three_interests(capacity=1)
    plan = plan_places([(newcomer, PlaceState.OFFERED, "Drawn.")])
    transition_place(holder, PlaceState.OFFERED)  # the last place, meanwhile
    with pytest.raises(ChangedSinceRead), transaction.atomic():
        apply_places(plan)
    newcomer.refresh_from_db()
    assert newcomer.state == PlaceState.RECEIVED
    assert list(OutboundMessage.objects.values_list("to", flat=True)) == [holder.student.email]
    assert not ActivityLog.objects.filter(object_id=str(newcomer.pk), action="place.offered")
    # Planned again from the rows as they are now, the move is refused for a full day.
    with pytest.raises(CapacityFull):
        transition_places([(newcomer, PlaceState.OFFERED, "Drawn.")])


def test_a_student_changed_after_planning_is_found_and_planned_again():
    mi, (first, _, _) = three_interests(capacity=1)
    plan = plan_places([(first, PlaceState.OFFERED, "Drawn.")])
    Student.objects.filter(pk=first.student_id).update(email="new.address@example.ac.uk")
    with pytest.raises(ChangedSinceRead), transaction.atomic():
        apply_places(plan)
    assert not OutboundMessage.objects.exists()
    transition_places([(first, PlaceState.OFFERED, "Drawn.")])
    assert list(OutboundMessage.objects.values_list("to", flat=True)) == [
        "new.address@example.ac.uk"
    ]
