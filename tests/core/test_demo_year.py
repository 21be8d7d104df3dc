"""`make run`'s demo year: thousands of students and a year of micro-internships, made the
same way every time for one seed and one day, so the researcher dashboard shows figures
rather than suppressed cells."""

import io
import random
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.core.management.commands.demo import YEAR_PREFIX, generate_year
from microintern.insights import queries
from microintern.insights.academic_year import AcademicYear
from microintern.insights.disclosure import OutputMode
from microintern.insights.report import funnel_table
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

A_DAY = datetime(2026, 12, 2, 12, tzinfo=UTC)


class RolledBack(Exception):
    pass


def fingerprint(rng_seed: int) -> tuple:
    """What one run of the year makes, undone afterwards."""
    try:
        with transaction.atomic():
            generate_year(300, random.Random(rng_seed))
            made = (
                tuple(
                    Student.objects.filter(student_number__startswith=YEAR_PREFIX)
                    .order_by("student_number")
                    .values_list("student_number", "full_name", "school", "imd_quintile")
                ),
                tuple(
                    ExpressionOfInterest.objects.order_by(
                        "micro_internship__reference", "student__student_number"
                    ).values_list("micro_internship__reference", "student__student_number", "state")
                ),
            )
            raise RolledBack
    except RolledBack:
        return made


def test_the_year_is_the_same_for_one_seed_and_differs_for_another():
    with time_machine.travel(A_DAY, tick=False):
        first, again, other = fingerprint(3), fingerprint(3), fingerprint(4)
    assert first == again
    assert first != other
    assert len(first[0]) == 300 and first[1]


def test_make_run_has_a_year_of_thousands_of_students_and_real_dashboard_figures():
    with time_machine.travel(A_DAY, tick=False):
        call_command("demo", stdout=io.StringIO())
        call_command("demo_insights", stdout=io.StringIO())
        assert Student.objects.filter(student_number__startswith=YEAR_PREFIX).count() == 4000
        run = MicroInternship.objects.filter(state=MicroInternshipState.EVALUATED)
        assert run.count() >= 40  # a full academic year and this one so far
        for mi in run:
            assert mi.interests.filter(state__in=PlaceState.holding_a_seat()).count() <= 10
        assert MicroInternship.objects.filter(state=MicroInternshipState.OPEN).exists()
        filters = queries.Filters(AcademicYear.containing(timezone.now()))
        rows = queries.funnel(filters, "imd")
        table = funnel_table(rows, queries.CHARACTERISTICS["imd"], OutputMode.ROUNDED)
        cells = [cell for row in table.rows for cell in row[1:]]
        assert sum(r["eligible"] for r in rows) > 4000
        assert sum(cell == ".." for cell in cells) < len(cells) // 4  # mostly real figures
        call_command("demo", stdout=io.StringIO())  # loading it again adds nothing
        assert Student.objects.filter(student_number__startswith=YEAR_PREFIX).count() == 4000
