"""The attendance register: marks become attended / no-show through the place lifecycle."""

import pytest
from django.core import mail

from microintern.applications.domain import record_attendance, transition_place
from microintern.applications.enums import PlaceState
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory, on_the_day

pytestmark = pytest.mark.django_db(transaction=True)


def accepted_team(mi, n):
    team = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(n)]
    for interest in team:
        transition_place(interest, PlaceState.OFFERED)
        transition_place(interest, PlaceState.ACCEPTED)
    return team


def test_marks_send_thanks_or_a_kind_note_and_can_be_corrected(make_user):
    mi = MicroInternshipFactory(open_now=True)
    late, absent, waiting = accepted_team(mi, 2) + [
        ExpressionOfInterestFactory(micro_internship=mi)
    ]
    staff = make_user("staff")
    sent = len(mail.outbox)
    with on_the_day(mi):  # the register opens on the day itself
        changed, problems = record_attendance(
            mi, {late.pk: "late", absent.pk: "absent", waiting.pk: "present"}, actor=staff
        )
    assert (changed, problems) == (2, [])  # the student without a place is not on the register
    late.refresh_from_db()
    absent.refresh_from_db()
    waiting.refresh_from_db()
    assert (late.state, late.outcome_reason) == (PlaceState.ATTENDED, "Arrived late.")
    assert absent.state == PlaceState.NO_SHOW
    assert waiting.state == PlaceState.RECEIVED
    subjects = sorted(m.subject for m in mail.outbox[sent:])
    assert subjects[0].startswith("Thank you for taking part")
    assert subjects[1].startswith("We missed you")
    # They did come after all: correcting the mark on the day sends the thank-you (after
    # the day a correction needs a reason: see test_day_rules).
    with on_the_day(mi, hours=3):
        assert record_attendance(mi, {absent.pk: "present"}, actor=staff) == (1, [])
    absent.refresh_from_db()
    assert absent.state == PlaceState.ATTENDED
    assert mail.outbox[-1].subject.startswith("Thank you for taking part")
    # Saving the same register again changes and sends nothing.
    count = len(mail.outbox)
    with on_the_day(mi, hours=4):
        assert record_attendance(mi, {late.pk: "late", absent.pk: "present"}) == (0, [])
    assert len(mail.outbox) == count
