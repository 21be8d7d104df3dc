"""Importing the eligible population: report first, write on confirm, re-import updates."""

import io

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from microintern.accounts.models import Student
from microintern.core.models import ActivityLog
from microintern.insights import domain
from microintern.insights.models import PopulationRecord
from tests.accounts.factories import StudentFactory, sign_in

pytestmark = pytest.mark.django_db

HEADER = (
    "Student Number,email,full_name,programme,school,level,mode,fee_status,domicile,"
    "imd_quintile,polar4_quintile,tundra_quintile,care_experienced,first_in_family,carer,"
    "commuter,shoe_size\n"
)


def extract(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


GOOD = [
    "S1,ana@example.ac.uk,Ana Li,BSc Data Science,School of Computing,undergraduate,"
    "full_time,home,XF,1,2,1,yes,yes,no,yes,9",
    "S2,ben@example.ac.uk,Ben Ode,BA History,School of Arts,Undergraduate,Part-time,"
    "international,CN,,,,n,,,,",
]


def test_report_lists_line_field_and_problem_and_nothing_is_written_before_confirming():
    content = extract(
        *GOOD,
        "S3,,No Email,BA History,School of Arts,undergraduate,full_time,home,XF,7,2,1,maybe,,,,",
        "S1,ana2@example.ac.uk,Ana Again,,,,,,,,,,,,,,",
        "S4,dan@example.ac.uk,Dan Roe,,,,,,CN,2,,,,,,,",
    )
    staged = domain.stage_population_import(
        name="extract.csv", content=content, academic_year="2026/27"
    )
    problems = {(p["line"], p["field"]): p for p in staged.problems}
    assert problems[(1, "shoe_size")]["severity"] == "warning"
    assert problems[(4, "email")]["problem"] == "A student not yet known needs an email address."
    assert problems[(4, "imd_quintile")]["problem"] == "“7” is not a quintile from 1 to 5."
    assert problems[(4, "care_experienced")]["problem"] == "“maybe” is not yes, no or blank."
    assert "repeated (line 2)" in problems[(5, "student_number")]["problem"]
    assert problems[(6, "domicile")]["severity"] == "warning"
    assert staged.row_count == 5
    assert [row["student_number"] for row in staged.rows] == ["S1", "S2", "S4"]
    assert not Student.objects.exists() and not PopulationRecord.objects.exists()

    domain.apply_population_import(staged)
    ana = Student.objects.get(student_number="S1")
    assert (ana.imd_quintile, ana.tundra_quintile, ana.care_experienced, ana.carer) == (
        1,
        1,
        True,
        False,
    )
    assert ana.user is None
    ben = Student.objects.get(student_number="S2")
    assert (ben.level, ben.mode, ben.fee_status, ben.care_experienced, ben.carer) == (
        "undergraduate",
        "part_time",
        "international",
        False,
        None,
    )
    record = PopulationRecord.objects.get(student=ben, academic_year="2026/27")
    assert record.domicile == "CN" and record.school == "School of Arts"
    assert ActivityLog.objects.filter(action="population.applied").count() == 1


def test_reimport_updates_and_never_duplicates_and_years_are_kept_apart():
    existing = StudentFactory(student_number="S1", email="ana@example.ac.uk", imd_quintile=5)
    first = domain.stage_population_import(
        name="a.csv", content=extract(*GOOD), academic_year="2026/27"
    )
    first = domain.apply_population_import(first)
    assert (first.created_count, first.updated_count) == (1, 1)
    existing.refresh_from_db()
    assert existing.imd_quintile == 1
    again = domain.stage_population_import(
        name="a.csv", content=extract(*GOOD), academic_year="2026/27"
    )
    domain.apply_population_import(again)
    next_year = domain.stage_population_import(
        name="b.csv",
        content=extract(GOOD[0].replace(",1,2,1,", ",3,2,1,")),
        academic_year="2027/28",
    )
    domain.apply_population_import(next_year)
    assert Student.objects.count() == 2
    assert PopulationRecord.objects.filter(academic_year="2026/27").count() == 2
    by_year = dict(
        PopulationRecord.objects.filter(student=existing).values_list(
            "academic_year", "imd_quintile"
        )
    )
    assert by_year == {"2026/27": 1, "2027/28": 3}
    with pytest.raises(ValueError):
        domain.apply_population_import(again)


def test_an_email_cannot_move_to_another_student():
    StudentFactory(student_number="X9", email="ana@example.ac.uk")
    staged = domain.stage_population_import(
        name="a.csv", content=extract(GOOD[0]), academic_year="2026/27"
    )
    assert staged.problems[-1]["problem"] == "This email belongs to another student number."
    assert staged.rows == []


def test_xlsx_extract_is_read_like_csv():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["student_number", "email", "full_name", "imd_quintile", "commuter"])
    sheet.append(["S10", "x@example.ac.uk", "Xi Yu", 2, "Yes"])
    sheet.append([None, None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    staged = domain.stage_population_import(
        name="extract.xlsx", content=buffer.getvalue(), academic_year="2026/27"
    )
    assert staged.problems == []
    assert staged.rows[0]["imd_quintile"] == 2 and staged.rows[0]["commuter"] is True


def test_command_dry_run_writes_nothing_then_imports(tmp_path, capsys):
    path = tmp_path / "extract.csv"
    path.write_bytes(extract(*GOOD))
    call_command("import_population", str(path), "--year", "2026/27", "--dry-run")
    assert "Dry run: nothing written." in capsys.readouterr().out
    assert not Student.objects.exists()
    call_command("import_population", str(path), "--year", "2026/27")
    assert "2 new, 0 updated" in capsys.readouterr().out
    assert PopulationRecord.objects.count() == 2


def test_staff_upload_shows_report_then_confirm_writes(client, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sign_in(client, make_user("staff"))
    upload = SimpleUploadedFile("extract.csv", extract(*GOOD, "S5,,,,,,,,,,,,,,,,"))
    response = client.post(
        "/insights/population/", {"academic_year": "2026/27", "extract": upload}, follow=True
    )
    page = response.content.decode()
    assert "Rows ready to import</dt><dd>2" in page
    assert "A student not yet known needs an email address." in page
    assert not Student.objects.exists()
    staged_pk = response.resolver_match.kwargs["pk"]
    response = client.post(f"/insights/population/{staged_pk}/confirm/", follow=True)
    assert "Imported 2 students for 2026/27: 2 new, 0 updated." in response.content.decode()
    assert Student.objects.count() == 2


def test_upload_refuses_a_bad_year_and_a_non_spreadsheet(client, make_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    sign_in(client, make_user("staff"))
    response = client.post(
        "/insights/population/",
        {"academic_year": "2026/28", "extract": SimpleUploadedFile("x.pdf", b"%PDF")},
    )
    assert "Enter an academic year like 2026/27." in response.content.decode()
    response = client.post(
        "/insights/population/",
        {"academic_year": "2026/27", "extract": SimpleUploadedFile("x.pdf", b"%PDF")},
    )
    assert "Upload a .csv or .xlsx file." in response.content.decode()
