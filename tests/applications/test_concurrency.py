"""Two submissions of the form at the same moment for a new student: one student, one
interest, and the second is answered as a repeat (real concurrent connections)."""

import threading

import pytest
from django.db import connection

from microintern.accounts.models import Student, User
from microintern.applications.domain import record_web_interest
from microintern.applications.models import ExpressionOfInterest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def submit_at_once(mi, addresses: list[str]) -> list:
    """Each address sends the form with the same student number at the same moment, each in
    its own connection; the outcomes (the test fails on any error)."""
    barrier = threading.Barrier(len(addresses))
    outcomes, errors = [], []

    def submit(n, email):
        try:
            barrier.wait()
            outcomes.append(
                record_web_interest(
                    mi,
                    full_name="Ada Twice",
                    email=email,
                    student_number="S4440001",
                    statement=f"Attempt {n}",
                )
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=item) for item in enumerate(addresses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return outcomes


def test_simultaneous_submissions_make_one_student_and_one_interest(open_mi):
    outcomes = submit_at_once(open_mi, ["ada.twice@example.ac.uk"] * 4)
    assert Student.objects.filter(email="ada.twice@example.ac.uk").count() == 1
    assert User.objects.filter(email="ada.twice@example.ac.uk").count() == 1
    assert ExpressionOfInterest.objects.count() == 1
    assert sorted(o.already for o in outcomes) == [False, True, True, True]


def test_one_number_from_two_addresses_at_once_is_one_students_and_the_other_records_nothing(
    open_mi,
):
    outcomes = submit_at_once(open_mi, ["ada.first@example.ac.uk", "ada.second@example.ac.uk"])
    [student] = Student.objects.filter(student_number="S4440001")
    assert [i.student for i in ExpressionOfInterest.objects.all()] == [student]
    assert sorted(o.interest is None for o in outcomes) == [False, True]
    assert User.objects.filter(email__startswith="ada.").count() == 1
