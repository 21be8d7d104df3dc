"""After publishing: a place that comes free goes to the next student waiting, offers past
their reply-by time expire (the periodic job), and accepting one place releases the others."""

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.selection import domain

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(build_round, django_capture_on_commit_callbacks):
    def publish(**kwargs):
        selection_round, mis, students, staff = build_round(**kwargs)
        run = domain.dry_run(selection_round, actor=staff)
        with django_capture_on_commit_callbacks(execute=True):
            domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
        return selection_round, mis, students, run.result

    return publish


def interest(student, mi):
    return ExpressionOfInterest.objects.get(student=student, micro_internship=mi)


def by_number(students):
    return {s.student_number: s for s in students}


def test_a_declined_offer_goes_to_the_next_student_waiting(
    published, django_capture_on_commit_callbacks
):
    selection_round, (mi,), students, result = published(capacities=(2,), interests=[(0,)] * 5)
    people = by_number(students)
    team, waitlist = (
        result["micro_internships"][0]["team"],
        result["micro_internships"][0]["waitlist"],
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[team[0]], mi), PlaceState.DECLINED)
    promoted = interest(people[waitlist[0]], mi)
    assert promoted.state == PlaceState.OFFERED
    assert promoted.outcome_reason.startswith(
        "A place came free and you were next on the waiting list (number 1)."
    )
    assert interest(people[waitlist[1]], mi).state == PlaceState.WAITLISTED
    assert mail.outbox[-1].to == [people[waitlist[0]].email]
    assert "Why: A place came free" in mail.outbox[-1].body
    # Withdrawing an accepted place promotes the next one.
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[team[1]], mi), PlaceState.ACCEPTED)
        transition_place(interest(people[team[1]], mi), PlaceState.WITHDRAWN)
    assert interest(people[waitlist[1]], mi).state == PlaceState.OFFERED
    assert mi.interests.filter(state__in=PlaceState.holding_a_seat()).count() == 2


def test_expired_offers_free_the_place_for_the_next_student(
    published, django_capture_on_commit_callbacks
):
    selection_round, (mi,), students, result = published(capacities=(1,), interests=[(0,)] * 3)
    people = by_number(students)
    first, (second, third) = (
        result["micro_internships"][0]["team"][0],
        result["micro_internships"][0]["waitlist"],
    )
    offer = interest(people[first], mi)
    later = offer.offer_expires_at + timezone.timedelta(minutes=1)
    assert domain.expire_offers(offer.offer_expires_at - timezone.timedelta(minutes=1)) == ""
    with django_capture_on_commit_callbacks(execute=True):
        assert domain.expire_offers(later) == "expired 1 offers"
    assert interest(people[first], mi).state == PlaceState.EXPIRED
    assert interest(people[second], mi).state == PlaceState.OFFERED
    assert interest(people[third], mi).state == PlaceState.WAITLISTED
    assert "microintern.selection.domain.expire_offers" in settings.MICROINTERN_PERIODIC_JOBS


def test_accepting_a_higher_choice_releases_the_other_place(
    published, django_capture_on_commit_callbacks
):
    # Everyone ranks A then B; A has one place, B one place.
    selection_round, (a, b), students, result = published(capacities=(1, 1), interests=[(0, 1)] * 3)
    people = by_number(students)
    on_a = result["micro_internships"][0]["team"][0]
    on_b = result["micro_internships"][1]["team"][0]
    assert interest(people[on_b], a).state == PlaceState.WAITLISTED
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[on_b], b), PlaceState.ACCEPTED)
        transition_place(interest(people[on_a], a), PlaceState.DECLINED)
    # The student on B was first on A's waiting list: offered A, told B would be released.
    offer_a = interest(people[on_b], a)
    assert offer_a.state == PlaceState.OFFERED
    assert f"your place on “{b.title}” ({b.reference}) goes to the next student" in (
        offer_a.outcome_reason
    )
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(offer_a, PlaceState.ACCEPTED)
    assert interest(people[on_b], b).state == PlaceState.WITHDRAWN
    # ... and B's place went to the next student waiting for it.
    third = next(sn for sn in people if sn not in (on_a, on_b))
    assert interest(people[third], b).state == PlaceState.OFFERED
    for mi in (a, b):
        assert mi.interests.filter(state__in=PlaceState.holding_a_seat()).count() == 1


def test_no_promotion_outside_a_published_round(django_capture_on_commit_callbacks, open_mi):
    from tests.applications.factories import ExpressionOfInterestFactory

    offered = ExpressionOfInterestFactory(micro_internship=open_mi)
    waiting = ExpressionOfInterestFactory(micro_internship=open_mi)
    transition_place(offered, PlaceState.OFFERED)
    transition_place(waiting, PlaceState.WAITLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(offered, PlaceState.DECLINED)
    waiting.refresh_from_db()
    assert waiting.state == PlaceState.WAITLISTED
    assert domain.promote_from_waitlist(open_mi.pk) == []


def test_after_accepting_a_promotion_lower_waiting_lists_let_go(
    published, django_capture_on_commit_callbacks
):
    # One place each on A and B; three students rank A then B.
    selection_round, (a, b), students, result = published(capacities=(1, 1), interests=[(0, 1)] * 3)
    people = by_number(students)
    on_a = result["micro_internships"][0]["team"][0]
    on_b = result["micro_internships"][1]["team"][0]
    nobody = next(sn for sn in people if sn not in (on_a, on_b))
    # B's holder declines; the student with nothing is next on B's list (A's list has the
    # B holder first).
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[on_b], b), PlaceState.DECLINED)
    assert interest(people[nobody], b).state == PlaceState.OFFERED
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[nobody], b), PlaceState.ACCEPTED)
    # Still waiting for A, which they ranked higher.
    assert interest(people[nobody], a).state == PlaceState.WAITLISTED
    # A frees up: the B holder declined B, so they are next for A; then the student on B.
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[on_a], a), PlaceState.WITHDRAWN)
    assert interest(people[on_b], a).state == PlaceState.OFFERED
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[on_b], a), PlaceState.DECLINED)
    promoted = interest(people[nobody], a)
    assert promoted.state == PlaceState.OFFERED
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(promoted, PlaceState.ACCEPTED)
    # Accepting A released B (ranked lower), and nobody is left waiting for B.
    assert interest(people[nobody], b).state == PlaceState.WITHDRAWN
    for mi in (a, b):
        assert mi.interests.filter(state__in=PlaceState.holding_a_seat()).count() <= 1


def test_accepting_a_higher_choice_ends_the_wait_for_a_lower_one(
    published, django_capture_on_commit_callbacks
):
    # Four students rank A then B, one place each: p1 on A, p2 on B; A's list is p2, p3, p4
    # and B's list is p3, p4.
    selection_round, (a, b), students, result = published(capacities=(1, 1), interests=[(0, 1)] * 4)
    people = by_number(students)
    p1 = result["micro_internships"][0]["team"][0]
    p2 = result["micro_internships"][1]["team"][0]
    assert result["micro_internships"][0]["waitlist"][0] == p2
    p3, p4 = result["micro_internships"][1]["waitlist"]
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[p1], a), PlaceState.DECLINED)
    assert interest(people[p2], a).state == PlaceState.OFFERED
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[p2], a), PlaceState.DECLINED)  # keeps B
    assert interest(people[p3], a).state == PlaceState.OFFERED
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[p3], a), PlaceState.ACCEPTED)
    let_go = interest(people[p3], b)
    assert let_go.state == PlaceState.NOT_SELECTED
    assert let_go.outcome_reason == (
        f"You accepted a place on “{a.title}” ({a.reference}), which you ranked higher."
    )
    # B frees up: p3 is no longer waiting for it, so p4 is offered.
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[p2], b), PlaceState.WITHDRAWN)
    assert interest(people[p4], b).state == PlaceState.OFFERED
