"""A job that writes many rows writes them a chunk per transaction, and lets go of the
database between chunks: on SQLite, another writer (a page, a task) gets the write lock
there instead of waiting for the whole job. How long a chunk holds the lock is measured by
bench/bench_sqlite_write_lock.py, not here."""

import io
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from microintern.accounts.models import Student
from microintern.applications.models import ExpressionOfInterest
from microintern.core import domain as core_domain
from microintern.core.domain import delete_in_chunks, write_in_chunks
from microintern.core.management.commands import demo
from microintern.core.models import PeriodicJobRun
from microintern.insights.management.commands import demo_insights
from microintern.insights.models import EqualityMonitoring, PopulationRecord, ResearchConsent
from tests.accounts.factories import StudentFactory
from tests.programme.factories import MicroInternshipFactory, local_day_at

pytestmark = pytest.mark.django_db(transaction=True)

AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def holds_a_transaction() -> bool:
    """Is this connection inside a transaction now (on SQLite: holding the write lock, as
    every transaction begins IMMEDIATE)?"""
    raw = connection.connection
    return connection.in_atomic_block or bool(getattr(raw, "in_transaction", False))


def test_each_chunk_is_committed_before_the_next_is_drawn():
    seen = []

    def rows():
        for n in range(7):
            seen.append((n, holds_a_transaction(), PeriodicJobRun.objects.count()))
            yield PeriodicJobRun(path=f"job.{n}", last_started_at=AT)

    assert write_in_chunks(rows(), PeriodicJobRun.objects.bulk_create, size=3) == 7
    assert PeriodicJobRun.objects.count() == 7
    # Drawn between transactions: the rows of the chunks before are already committed.
    assert seen == [(n, False, n // 3 * 3) for n in range(7)]


def test_a_chunk_that_fails_keeps_the_chunks_before_it():
    def write(chunk):
        PeriodicJobRun.objects.bulk_create(chunk)
        if chunk[0].path == "job.3":
            raise RuntimeError("the disk is full")

    rows = (PeriodicJobRun(path=f"job.{n}", last_started_at=AT) for n in range(6))
    with pytest.raises(RuntimeError):
        write_in_chunks(rows, write, size=3)
    assert sorted(PeriodicJobRun.objects.values_list("path", flat=True)) == [
        "job.0",
        "job.1",
        "job.2",
    ]


def test_generated_demo_students_and_interest_are_written_in_chunks(monkeypatch):
    calls = []

    def recording(items, write, *, size):
        drawn = list(items)  # the generator, drawn as the real helper would
        calls.append((type(drawn[0]).__name__, len(drawn), size))
        return write_in_chunks(drawn, write, size=size)

    monkeypatch.setattr(demo, "write_in_chunks", recording)
    monkeypatch.setattr(demo, "WRITE_CHUNK_ROWS", 100)
    call_command("demo", students=450, year_students=0)
    interests = ExpressionOfInterest.objects.filter(statement="Generated statement.").count()
    assert calls == [("Student", 450, 100), ("ExpressionOfInterest", interests, 100)]
    assert Student.objects.filter(student_number__startswith="G").count() == 450


def test_the_plain_demo_writes_its_year_in_chunks_and_hashes_passwords_outside_one(
    monkeypatch,
):
    calls, hashed_inside = [], []
    real_make_password = demo.make_password

    def recording(items, write, *, size):
        outside = not holds_a_transaction()  # none may be open around the chunks
        chunks = []

        def counting(chunk):
            chunks.append((type(chunk[0]).__name__, len(chunk)))
            return write(chunk)

        count = write_in_chunks(items, counting, size=size)
        calls.append((outside, chunks))
        return count

    def hashing(password):
        if password is not None:  # None: an unusable password, nothing hashed
            hashed_inside.append(holds_a_transaction())
        return real_make_password(password)

    monkeypatch.setattr(demo, "write_in_chunks", recording)
    monkeypatch.setattr(demo, "WRITE_CHUNK_ROWS", 100)
    monkeypatch.setattr(demo, "make_password", hashing)
    call_command("demo", year_students=250, stdout=io.StringIO())
    (students_outside, students), (interest_outside, interest) = calls
    assert students_outside and interest_outside
    assert students == [("Student", 100), ("Student", 100), ("Student", 50)]
    year = ExpressionOfInterest.objects.filter(student__student_number__startswith="Y")
    assert {kind for kind, _ in interest} == {"ExpressionOfInterest"}
    assert sum(n for _, n in interest) == year.count() > 100 and len(interest) > 1
    assert hashed_inside and not any(hashed_inside)  # slow by design: never under the lock
    call_command("demo", year_students=250, stdout=io.StringIO())  # loaded: adds nothing
    assert len(calls) == 2
    assert Student.objects.filter(student_number__startswith="Y").count() == 250


def test_demo_insights_writes_a_chunk_per_transaction_with_no_transaction_around_it(
    monkeypatch,
):
    MicroInternshipFactory(starts_at=local_day_at(-400))
    MicroInternshipFactory(starts_at=local_day_at(10))
    StudentFactory.create_batch(250)
    calls = []

    def recording(items, write, *, size=100):
        # On SQLite every transaction holds the write lock: none may be open around the
        # chunks, or they would all be one transaction again.
        outside = not holds_a_transaction()
        chunks = []

        def counting(chunk):
            chunks.append(len(chunk))
            return write(chunk)

        count = write_in_chunks(items, counting, size=size)
        calls.append((outside, chunks))
        return count

    monkeypatch.setattr(demo_insights, "write_in_chunks", recording)
    call_command("demo_insights", stdout=io.StringIO())
    years = PopulationRecord.objects.values("academic_year").distinct().count()
    assert years == 2
    population, equality, consent = calls
    assert population[0] and equality[0] and consent[0]
    assert population[1] == [100, 100, 100, 100, 100]
    assert PopulationRecord.objects.count() == 2 * 250
    assert sum(equality[1]) == EqualityMonitoring.objects.count() > 100
    assert sum(consent[1]) == ResearchConsent.objects.count() > 100
    assert len(equality[1]) > 1 and len(consent[1]) > 1


def test_deleting_in_chunks_commits_each_chunk_and_counts_them_all():
    PeriodicJobRun.objects.bulk_create(
        PeriodicJobRun(path=f"job.{n}", last_started_at=AT) for n in range(7)
    )
    PeriodicJobRun.objects.create(path="kept", last_started_at=AT)
    transactions = []
    real_atomic = core_domain.transaction.atomic

    def watching_atomic(*args, **kwargs):
        if not holds_a_transaction():  # a new transaction, not delete()'s own savepoint
            transactions.append(PeriodicJobRun.objects.count())  # committed before it
        return real_atomic(*args, **kwargs)

    old = PeriodicJobRun.objects.filter(path__startswith="job.")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(core_domain.transaction, "atomic", watching_atomic)
        assert delete_in_chunks(old, size=3) == 7
    assert transactions == [8, 5, 2], "each chunk committed before the next began"
    assert list(PeriodicJobRun.objects.values_list("path", flat=True)) == ["kept"]


def test_on_sqlite_a_chunked_job_lets_go_for_a_while_between_chunks_only(monkeypatch):
    pauses = []
    monkeypatch.setattr(core_domain.time, "sleep", pauses.append)
    rows = (PeriodicJobRun(path=f"job.{n}", last_started_at=AT) for n in range(7))
    write_in_chunks(rows, PeriodicJobRun.objects.bulk_create, size=3)
    delete_in_chunks(PeriodicJobRun.objects.all(), size=3)
    if connection.vendor == "sqlite":  # the busy handler of a waiting writer wakes each 0.1 s
        assert pauses == [0.1] * 4  # two gaps between three chunks, each job
    else:
        assert pauses == []
    pauses.clear()
    with transaction.atomic():  # one transaction anyway: nobody gets in, no use waiting
        write_in_chunks(
            [PeriodicJobRun(path=f"x.{n}", last_started_at=AT) for n in range(7)],
            PeriodicJobRun.objects.bulk_create,
            size=3,
        )
    assert pauses == []
