"""Random days after publishing: students accept, decline and withdraw in any order and
offers expire. After every event: no micro-internship is over capacity, nobody holds two
accepted places in the round, and no place stays free while someone who would take it is
waiting (each free place goes to the first such student on the published list)."""

import contextlib
import random

import pytest
from django.utils import timezone

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.errors import TransitionNotAllowed
from microintern.selection import domain
from microintern.selection.models import SelectionRun

pytestmark = pytest.mark.django_db

MOVES = {
    PlaceState.OFFERED: [PlaceState.ACCEPTED, PlaceState.DECLINED, PlaceState.WITHDRAWN],
    PlaceState.ACCEPTED: [PlaceState.WITHDRAWN],
}


def check(selection_round, mis):
    run = SelectionRun.objects.get(round=selection_round, kind="published")
    rankings = {s["id"]: s["choices"] for s in run.inputs["students"]}
    rows = list(
        ExpressionOfInterest.objects.filter(micro_internship__in=mis).select_related(
            "student", "micro_internship"
        )
    )
    seats = PlaceState.holding_a_seat()
    accepted = {}
    for r in rows:
        if r.state == PlaceState.ACCEPTED:
            assert r.student_id not in accepted, "two accepted places in one round"
            accepted[r.student_id] = r
    for mi in mis:
        held = [r for r in rows if r.micro_internship_id == mi.pk and r.state in seats]
        assert len(held) <= mi.capacity
        if len(held) == mi.capacity:
            continue
        for r in rows:
            if r.micro_internship_id != mi.pk or r.state != PlaceState.WAITLISTED:
                continue
            ranking = rankings[r.student.student_number]
            holding = [
                o.micro_internship.reference
                for o in rows
                if o.student_id == r.student_id and o.state in seats
            ]
            prefers_own = any(ranking.index(h) < ranking.index(mi.reference) for h in holding)
            assert prefers_own, f"{mi.reference} has a free place and {r.student} waits for it"


@pytest.mark.parametrize("seed", range(6))
def test_random_days_keep_every_promise(seed, build_round, django_capture_on_commit_callbacks):
    rng = random.Random(seed)
    interests = [tuple(rng.sample(range(3), rng.randint(1, 3))) for _ in range(10)]
    selection_round, mis, students, staff = build_round(
        capacities=tuple(rng.randint(1, 3) for _ in range(3)), interests=interests
    )
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    check(selection_round, mis)
    later = timezone.now()
    for _ in range(25):
        live = list(
            ExpressionOfInterest.objects.filter(
                micro_internship__in=mis, state__in=list(MOVES)
            ).order_by("pk")
        )
        if not live:
            break
        with django_capture_on_commit_callbacks(execute=True):
            if rng.random() < 0.15:
                later += timezone.timedelta(days=4)
                domain.expire_offers(later)
            else:
                chosen = rng.choice(live)
                # e.g. accepting after the reply-by time is refused and changes nothing
                with contextlib.suppress(TransitionNotAllowed):
                    transition_place(chosen, rng.choice(MOVES[chosen.state]), now=later)
        check(selection_round, mis)
