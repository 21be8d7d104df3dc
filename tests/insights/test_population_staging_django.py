"""Applying a population import all or nothing without holding the database for long: the
rows are staged a chunk per transaction, then switched in with one short transaction. A
broken file, a failure part-way through the chunks or in the switch leave the previous
population in use and no staged rows behind. How long the switch holds SQLite's write lock
is measured by bench/bench_sqlite_write_lock.py, not here."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from microintern.accounts.models import Student
from microintern.core.models import ActivityLog
from microintern.insights import domain
from microintern.insights.models import PopulationImport, PopulationImportRow, PopulationRecord
from tests.accounts.factories import StudentFactory

# Real commits: the chunks before a failure are committed, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "student_number,email,full_name,programme,school,level,imd_quintile,carer"
YEAR = "2026/27"


def extract(count: int, *, imd: int, start: int = 0) -> bytes:
    lines = [HEADER] + [
        f"P{n:05d},p{n}@example.ac.uk,Person {n},BSc Data,Computing,UG,{imd},yes"
        for n in range(start, start + count)
    ]
    return ("\n".join(lines) + "\n").encode()


def imported(content: bytes, year: str = YEAR) -> PopulationImport:
    staged = domain.stage_population_import(name="x.csv", content=content, academic_year=year)
    return domain.apply_population_import(staged)


def population() -> dict:
    """What dashboards and selection read: each student's record fields and year's rows."""
    return {
        "students": sorted(Student.objects.values_list("student_number", "imd_quintile")),
        "records": sorted(
            PopulationRecord.objects.values_list(
                "student__student_number", "academic_year", "imd_quintile", "source_import"
            )
        ),
    }


def test_a_broken_file_changes_nothing_and_stages_nothing(tmp_path):
    imported(extract(3, imd=1))
    before, imports = population(), PopulationImport.objects.count()
    log = ActivityLog.objects.count()
    path = tmp_path / "broken.csv"
    path.write_bytes(extract(3, imd=2) + b"P9,p9@example.ac.uk,Too,Many,Values,UG,2,yes,extra\n")
    with pytest.raises(CommandError, match="Line 5 has 9 values"):
        call_command("import_population", str(path), "--year", YEAR)
    assert population() == before
    assert PopulationImport.objects.count() == imports
    assert not PopulationImportRow.objects.exists()
    assert ActivityLog.objects.count() == log


def test_an_import_interrupted_after_some_chunks_leaves_the_previous_population(
    monkeypatch, fail_staging_after_two_chunks
):
    first = imported(extract(1200, imd=1))
    before = population()
    staged = domain.stage_population_import(
        name="next.csv", content=extract(1210, imd=2), academic_year=YEAR
    )
    staged_when_it_failed = fail_staging_after_two_chunks()
    with pytest.raises(OSError, match="disk full"):
        domain.apply_population_import(staged)
    assert staged_when_it_failed == [1000]  # two chunks of 500 committed
    assert population() == before  # the first import's records, all still in use
    assert {r[3] for r in before["records"]} == {first.pk}
    assert not PopulationImportRow.objects.exists()
    staged.refresh_from_db()
    assert staged.applied_at is None and len(staged.rows) == 1210

    monkeypatch.undo()
    applied = domain.apply_population_import(staged)  # confirming again works
    assert (applied.created_count, applied.updated_count) == (10, 1200)
    after = population()
    assert {imd for _, imd in after["students"]} == {2} and len(after["students"]) == 1210
    assert {(year, imd, source) for _, year, imd, source in after["records"]} == {
        (YEAR, 2, staged.pk)
    }
    assert not PopulationImportRow.objects.exists()


def test_a_switch_that_fails_changes_nothing_and_leaves_no_staged_rows():
    imported(extract(3, imd=1))
    before = population()
    staged = domain.stage_population_import(
        name="next.csv", content=extract(4, imd=2), academic_year=YEAR
    )
    # Between the report and the confirmation someone else takes the new student's email.
    StudentFactory(student_number="Q1", email="p3@example.ac.uk")
    with pytest.raises(IntegrityError):
        domain.apply_population_import(staged)
    assert population() == {
        **before,
        "students": sorted([*before["students"], ("Q1", None)]),
    }
    assert not PopulationImportRow.objects.exists()
    staged.refresh_from_db()
    assert staged.applied_at is None


def test_a_good_file_updates_and_creates_as_before():
    ana = StudentFactory(
        student_number="P00000", email="ana@example.ac.uk", full_name="Ana Li", imd_quintile=5
    )
    imported(extract(2, imd=1), year="2025/26")  # Ana's email and name: p0, Person 0
    content = (
        f"{HEADER}\nP00000,,,MSc Law,Law,PGT,3,no\nP00001,new1@example.ac.uk,New Name,,,,,\n"
        "P00007,p7@example.ac.uk,Seven,BA Art,Arts,UG,4,\n"
    ).encode()
    applied = imported(content)
    assert (applied.created_count, applied.updated_count) == (1, 2)
    ana.refresh_from_db()
    # An empty email or name keeps the student's; the record fields are the file's.
    assert (ana.email, ana.full_name) == ("p0@example.ac.uk", "Person 0")
    assert (ana.programme, ana.school, ana.level, ana.imd_quintile, ana.carer) == (
        "MSc Law",
        "Law",
        "pgt",
        3,
        False,
    )
    assert ana.record_imported_at == applied.applied_at
    one = Student.objects.get(student_number="P00001")
    assert (one.email, one.full_name, one.programme, one.imd_quintile, one.carer) == (
        "new1@example.ac.uk",
        "New Name",
        "",
        None,
        None,
    )
    seven = Student.objects.get(student_number="P00007")
    assert (seven.full_name, seven.preferred_name, seven.user, seven.imd_quintile) == (
        "Seven",
        "",
        None,
        4,
    )
    records = {
        (number, year): (imd, source) for number, year, imd, source in population()["records"]
    }
    earlier = PopulationImport.objects.get(academic_year="2025/26").pk
    assert records == {
        ("P00000", "2025/26"): (1, earlier),
        ("P00001", "2025/26"): (1, earlier),
        ("P00000", YEAR): (3, applied.pk),
        ("P00001", YEAR): (None, applied.pk),
        ("P00007", YEAR): (4, applied.pk),
    }
    assert not PopulationImportRow.objects.exists()


def test_retention_removes_rows_an_attempt_killed_part_way_left_behind():
    staged = domain.stage_population_import(
        name="x.csv", content=extract(2, imd=1), academic_year=YEAR
    )
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    for batch, age in (("killed", timedelta(days=1, minutes=1)), ("running", timedelta(0))):
        row = PopulationImportRow.objects.create(
            population_import=staged, batch=batch, student_number="P1"
        )
        PopulationImportRow.objects.filter(pk=row.pk).update(created_at=now - age)
    assert domain.apply_retention(now)["interrupted_import_rows"] == 1
    assert list(PopulationImportRow.objects.values_list("batch", flat=True)) == ["running"]
