"""Any number of choices: a round with a nine- and twelve-choice student is dry run and
published, and every student reads their choices numbered as they ranked them."""

import pytest
from django.core import mail

from microintern.applications.enums import PlaceState
from microintern.selection import domain
from microintern.selection.enums import RoundState
from microintern.selection.wording import ordinal

pytestmark = pytest.mark.django_db


def test_ordinals_go_on_past_the_words():
    assert [ordinal(n) for n in (1, 9, 12, 13, 21, 22, 23, 101, 111)] == [
        "first",
        "ninth",
        "twelfth",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "101st",
        "111th",
    ]


def test_a_round_with_nine_and_twelve_choices_dry_runs_and_publishes(
    build_round, django_capture_on_commit_callbacks
):
    twelve = tuple(range(12))
    nine = tuple(range(9))
    selection_round, mis, students, staff = build_round(
        capacities=(1,) * 12, interests=[twelve] * 12 + [nine]
    )
    run = domain.dry_run(selection_round, actor=staff)
    by_number = {s["student_number"]: s for s in run.result["students"]}
    offered_choices = []
    for student, ranking in zip(students, [twelve] * 12 + [nine], strict=True):
        row = by_number[student.student_number]
        refs = [mis[i].reference for i in ranking]
        if row["offered"]:
            k = refs.index(row["offered"]) + 1
            offered_choices.append(k)
            assert f"you were offered your {ordinal(k)} choice." in row["explanation"].lower()
            missed = range(1, k)
        else:
            assert "You were not offered a place this time." in row["explanation"]
            missed = range(1, len(refs) + 1)
        for n in missed:
            assert f"for your {ordinal(n)} choice" in row["explanation"]
    # One place each, taken in lottery order down the common ranking.
    assert len(offered_choices) == 12
    assert max(offered_choices) == 12

    with django_capture_on_commit_callbacks(execute=True):
        domain.publish(selection_round, dry_run_id=run.pk, actor=staff)
    selection_round.refresh_from_db()
    assert selection_round.state == RoundState.PUBLISHED
    offered = [i for s in students for i in s.interests.all() if i.state == PlaceState.OFFERED]
    assert len(offered) == 12
    twelfth = next(i for i in offered if "your twelfth choice" in i.outcome_reason)
    assert "you were offered your twelfth choice" in twelfth.outcome_reason
    email = next(m for m in mail.outbox if m.to == [twelfth.student.email])
    assert "you were offered your twelfth choice" in email.body
