"""No overbooking, ever: 50 threads, each with its own PostgreSQL connection, race for the
last place. Row locks (select_for_update in transition_place) let exactly one through.

SQLite serialises every writer anyway (and has no row locks), so these run in CI's
PostgreSQL pass: DATABASE_URL=postgres://... python -m pytest tests/selection.
"""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.errors import CapacityFull, TransitionNotAllowed
from microintern.core.models import ActivityLog
from microintern.selection import domain
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
THREADS = 50


def race(work) -> list[str]:
    """Run work(i) in THREADS threads released at the same moment; each thread uses (and
    closes) its own database connection. Returns "ok", "full" or "refused" per thread."""
    barrier = threading.Barrier(THREADS)
    results = [""] * THREADS

    def run(i):
        try:
            barrier.wait()
            work(i)
            results[i] = "ok"
        except CapacityFull:
            results[i] = "full"
        except TransitionNotAllowed:
            results[i] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def seats_taken(mi) -> int:
    return mi.interests.filter(state__in=PlaceState.holding_a_seat()).count()


def test_fifty_offers_for_the_last_place_give_exactly_one():
    mi = MicroInternshipFactory(open_now=True, capacity=10)
    for _ in range(9):
        transition_place(ExpressionOfInterestFactory(micro_internship=mi), PlaceState.OFFERED)
    contenders = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(THREADS)]
    results = race(lambda i: transition_place(contenders[i], PlaceState.OFFERED))
    assert results.count("ok") == 1
    assert results.count("full") == THREADS - 1
    assert seats_taken(mi) == 10


def test_fifty_accepts_of_the_last_offer_accept_it_once():
    mi = MicroInternshipFactory(open_now=True, capacity=1)
    offer = ExpressionOfInterestFactory(micro_internship=mi)
    transition_place(offer, PlaceState.OFFERED)
    results = race(
        lambda i: transition_place(
            ExpressionOfInterest.objects.get(pk=offer.pk), PlaceState.ACCEPTED
        )
    )
    assert results.count("ok") == 1
    assert results.count("refused") == THREADS - 1
    assert ActivityLog.objects.filter(action="place.accepted").count() == 1
    assert seats_taken(mi) == 1


def test_fifty_promotions_for_one_free_place_offer_it_once(make_user):
    from microintern.programme.domain import set_interest_window_now

    mi = MicroInternshipFactory(open_now=True, capacity=2)
    waiting = [
        ExpressionOfInterestFactory(micro_internship=mi, verified_at=timezone.now())
        for _ in range(6)
    ]
    staff = make_user("staff")
    selection_round = domain.create_round(
        name="Race", micro_internships=[mi], priority=["first_time"], actor=staff
    )
    set_interest_window_now(mi, open_it=False)
    run = domain.dry_run(selection_round, actor=staff)
    domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    first = next(
        w
        for w in waiting
        if w.student.student_number == run.result["micro_internships"][0]["team"][0]
    )
    # Free a place without the after-commit promotion running: the threads race for it.
    ExpressionOfInterest.objects.filter(pk=first.pk).update(state=PlaceState.DECLINED)
    results = race(lambda i: domain.promote_from_waitlist(mi.pk))
    assert results.count("ok") == THREADS
    assert seats_taken(mi) == 2
    assert ActivityLog.objects.filter(action="selection.promoted").count() == 1
