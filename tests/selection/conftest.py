"""A selection round with real rows: micro-internships open for interest, students who said
they are interested (confirmed), the round set up while interest is open, then closed (the
micro-internships closed for interest and the round sealed)."""

import pytest
from django.utils import timezone

from microintern.programme.domain import set_interest_window_now
from microintern.selection import domain
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory


@pytest.fixture
def build_round(db, make_user):
    def build(*, capacities=(2,), interests=(), close=True, priority=None, **student_fields):
        """`interests`: one tuple of micro-internship indexes per student (their ranking)."""
        staff = make_user("staff")
        mis = [MicroInternshipFactory(open_now=True, capacity=c) for c in capacities]
        students = []
        for n, ranking in enumerate(interests):
            student = StudentFactory(with_user=True, **student_fields)
            for rank, index in enumerate(ranking, 1):
                ExpressionOfInterestFactory(
                    student=student,
                    micro_internship=mis[index],
                    verified_at=timezone.now(),
                    preference_rank=rank,
                    received_at=timezone.now() - timezone.timedelta(minutes=n),
                )
            students.append(student)
        selection_round = domain.create_round(
            name="Spring round",
            micro_internships=mis,
            priority=priority if priority is not None else ["first_time", "widening_participation"],
            actor=staff,
        )
        if close:
            close_interest(selection_round, mis, staff)
        return selection_round, mis, students, staff

    return build


def close_interest(selection_round, mis, staff, reason=""):
    """Close interest on every micro-internship of the round, then seal the round."""
    for mi in mis:
        set_interest_window_now(mi, open_it=False, actor=staff)
    domain.close_round(selection_round, actor=staff, reason=reason)
