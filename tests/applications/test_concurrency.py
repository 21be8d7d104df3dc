"""Two submissions of the form at the same moment for a new student: one student, one
interest, and the second is answered as a repeat (real concurrent connections)."""

import threading

import pytest
from django.db import connection

from microintern.accounts.models import Student, User
from microintern.applications.domain import record_web_interest
from microintern.applications.models import ExpressionOfInterest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_simultaneous_submissions_make_one_student_and_one_interest(open_mi):
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def submit(n):
        try:
            barrier.wait()
            outcomes.append(
                record_web_interest(
                    open_mi,
                    full_name="Ada Twice",
                    email="ada.twice@example.ac.uk",
                    student_number="S4440001",
                    statement=f"Attempt {n}",
                )
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert Student.objects.filter(email="ada.twice@example.ac.uk").count() == 1
    assert User.objects.filter(email="ada.twice@example.ac.uk").count() == 1
    assert ExpressionOfInterest.objects.count() == 1
    assert sorted(o.already for o in outcomes) == [False, True, True, True]
