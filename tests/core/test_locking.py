"""Row locks for transition functions: key order, a timeout that says "busy", tasks that
run again later instead of failing."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from microintern.core.errors import Busy, Refusal
from microintern.core.locking import lock_row, lock_rows
from microintern.core.tasks import BUSY_RETRY_DELAY, retrying_task
from microintern.programme.models import MicroInternship
from tests.programme.factories import MicroInternshipFactory

ATTEMPTS: list[str] = []


@retrying_task()
def busy_the_first_time(marker: str) -> str:
    ATTEMPTS.append(marker)
    if len(ATTEMPTS) == 1:
        raise Busy()
    return f"done {marker}"


@pytest.mark.django_db
def test_rows_come_back_by_key_and_missing_ones_are_absent():
    first, second = MicroInternshipFactory(), MicroInternshipFactory()
    with transaction.atomic():
        locked = lock_rows(MicroInternship, [second.pk, first.pk, 999_999])
        assert list(locked) == sorted([first.pk, second.pk])
        assert locked[first.pk].reference == first.reference
        with pytest.raises(MicroInternship.DoesNotExist):
            lock_row(MicroInternship, 999_999)


@pytest.mark.django_db(transaction=True)
def test_locking_outside_a_transaction_is_a_mistake_not_a_silent_no_op():
    mi = MicroInternshipFactory()
    with pytest.raises(RuntimeError, match="inside transaction.atomic"):
        lock_row(MicroInternship, mi.pk)


def test_busy_is_a_refusal_a_person_can_read():
    assert isinstance(Busy(), Refusal)
    assert "try again" in str(Busy())


@pytest.mark.django_db
def test_a_busy_task_is_queued_again_later_with_the_same_arguments(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ATTEMPTS.clear()
    before = timezone.now()
    assert busy_the_first_time.call("x") is None
    backend = busy_the_first_time.get_backend()
    (retry,) = backend.results
    assert retry.args == ["x"]
    assert retry.task.run_after >= before + BUSY_RETRY_DELAY
    assert busy_the_first_time.call("x") == "done x"


@pytest.mark.django_db
def test_without_a_backend_that_can_wait_busy_reaches_the_caller():
    ATTEMPTS.clear()
    with pytest.raises(Busy):
        busy_the_first_time.call("y")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_held_too_long_makes_the_next_change_busy_and_changes_nothing(settings):
    settings.LOCK_TIMEOUT_SECONDS = 0.3
    mi = MicroInternshipFactory(capacity=10)
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with transaction.atomic():
            lock_row(MicroInternship, mi.pk)
            holding.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(Busy), transaction.atomic():
            locked = lock_row(MicroInternship, mi.pk)
            locked.capacity = 5
            locked.save()
    finally:
        release.set()
        holder.join()
    mi.refresh_from_db()
    assert mi.capacity == 10
    with transaction.atomic():
        assert lock_row(MicroInternship, mi.pk).pk == mi.pk
