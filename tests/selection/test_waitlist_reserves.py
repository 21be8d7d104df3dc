"""Reserves are kept after publishing: a reserved place that comes free goes to the next
student of the reserved group waiting, not to the top of the list."""

import pytest
from django.urls import reverse

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.models import ActivityLog
from microintern.selection import domain
from tests.accounts.factories import sign_in

from .conftest import close_interest

pytestmark = pytest.mark.django_db


def interest(student, mi):
    return ExpressionOfInterest.objects.get(student=student, micro_internship=mi)


def test_a_declined_reserved_place_goes_to_the_reserved_group(
    build_round, client, django_capture_on_commit_callbacks
):
    selection_round, (mi,), students, staff = build_round(
        capacities=(3,), interests=[(0,)] * 8, close=False
    )
    for s in students[:4]:  # first in family: group 1 under this order
        s.first_in_family = True
        s.save()
    entry = selection_round.entries.get()
    domain.update_policy(
        selection_round,
        priority=["widening_participation", "first_time"],
        entries=[{"entry": entry, "reserve_group": 2, "reserve_seats": 2, "programme_cap": 1}],
        reason="Two places kept for students new to the programme",
    )
    close_interest(selection_round, [mi], staff)
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    result = run.result
    group = {s["student_number"]: s["group"] for s in result["students"]}
    people = {s.student_number: s for s in students}
    team = result["micro_internships"][0]["team"]
    waitlist = result["micro_internships"][0]["waitlist"]
    assert sorted(group[sn] for sn in team) == [1, 2, 2]
    # Three of group 1 wait first, then the two of group 2 left over.
    assert [group[sn] for sn in waitlist] == [1, 1, 1, 2, 2]

    reserved_holder = next(sn for sn in team if group[sn] == 2)
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[reserved_holder], mi), PlaceState.DECLINED)
    first_of_group_2 = waitlist[3]
    promoted = interest(people[first_of_group_2], mi)
    assert promoted.state == PlaceState.OFFERED
    assert promoted.outcome_reason.startswith(
        "A place kept for priority group 2 (never taken part in a micro-internship) came free "
        "and you were the first student of that group on the waiting list (number 4 on the "
        "list)."
    )
    assert [interest(people[sn], mi).state for sn in waitlist[:3]] == [PlaceState.WAITLISTED] * 3
    logged = ActivityLog.objects.filter(action="selection.promoted").get()
    assert logged.data["reserved_for"] == 2
    # Everyone is on the same programme and the soft cap is 1: staff are told, nobody is
    # passed over for it.
    (over_cap,) = ActivityLog.objects.filter(action="selection.promoted_over_cap")
    assert over_cap.data["micro_internship"] == mi.reference
    assert over_cap.data["team"] == 3
    sign_in(client, staff)
    page = client.get(reverse("staff:selection_round", args=[selection_round.pk])).content
    assert "Waiting-list offer took a team over its programme cap" in page.decode()

    # The open place comes free: the reserve is held again, so the top of the list gets it.
    open_holder = next(sn for sn in team if group[sn] == 1)
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[open_holder], mi), PlaceState.DECLINED)
    top = interest(people[waitlist[0]], mi)
    assert top.state == PlaceState.OFFERED
    assert top.outcome_reason.startswith(
        "A place came free and you were next on the waiting list (number 1)."
    )
    assert interest(people[waitlist[4]], mi).state == PlaceState.WAITLISTED


def test_a_reserved_place_nobody_of_the_group_waits_for_goes_to_the_next_student(
    build_round, django_capture_on_commit_callbacks
):
    selection_round, (mi,), students, staff = build_round(
        capacities=(2,), interests=[(0,)] * 4, close=False
    )
    for s in students[:3]:
        s.first_in_family = True
        s.save()
    entry = selection_round.entries.get()
    domain.update_policy(
        selection_round,
        priority=["widening_participation", "first_time"],
        entries=[{"entry": entry, "reserve_group": 2, "reserve_seats": 1, "programme_cap": None}],
        reason="One place kept for students new to the programme",
    )
    close_interest(selection_round, [mi], staff)
    run = domain.dry_run(selection_round, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    group = {s["student_number"]: s["group"] for s in run.result["students"]}
    people = {s.student_number: s for s in students}
    team = run.result["micro_internships"][0]["team"]
    waitlist = run.result["micro_internships"][0]["waitlist"]
    assert [group[sn] for sn in waitlist] == [1, 1]  # the one of group 2 has the reserve
    reserved_holder = next(sn for sn in team if group[sn] == 2)
    with django_capture_on_commit_callbacks(execute=True):
        transition_place(interest(people[reserved_holder], mi), PlaceState.DECLINED)
    assert interest(people[waitlist[0]], mi).state == PlaceState.OFFERED
    assert ActivityLog.objects.filter(action="selection.promoted_over_cap").count() == 0
