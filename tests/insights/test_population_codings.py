"""The student-record import reads the codes universities export (UG, FT, H, UK, GB, ISO
country codes, the words in full), says how it read each one before anything is saved, and
names what it expects when it cannot read one."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from microintern.accounts.models import Student
from microintern.insights import codings
from microintern.insights.population import COLUMNS
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory


@pytest.mark.parametrize(
    ("column", "written", "meaning"),
    [
        ("level", "UG", "undergraduate"),
        ("level", "Undergraduate", "undergraduate"),
        ("level", "pgt", "pgt"),
        ("level", "Postgraduate research", "pgr"),
        ("level", "FD", "foundation"),
        ("mode", "FT", "full_time"),
        ("mode", "Part-time", "part_time"),
        ("mode", "full_time", "full_time"),
        ("fee_status", "H", "home"),
        ("fee_status", "Overseas", "international"),
    ],
)
def test_the_codings_universities_export_are_read(column, written, meaning):
    assert codings.read(column, written) == (meaning, "")


def test_pg_alone_is_refused_rather_than_guessed():
    assert codings.read("level", "PG") == (
        None,
        "“PG” could be taught or research: write PGT or PGR.",
    )


def test_an_unknown_code_names_what_is_expected():
    value, why = codings.read("level", "Level 4")
    assert value is None
    assert why.startswith("“Level 4” is not a level we know: use FD (foundation year), UG")


@pytest.mark.parametrize(
    ("written", "code"),
    [("UK", "XK"), ("GB", "XK"), ("England", "XF"), ("XH", "XH"), ("fr", "FR"), ("CN", "CN")],
)
def test_domicile_as_hesa_iso_or_the_uks_names(written, code):
    assert codings.read_domicile(written) == (code, "")


def test_a_country_name_is_refused_with_the_codes_expected():
    value, why = codings.read_domicile("France")
    assert value is None and "two-letter ISO country code" in why


def upload(client, content: bytes):
    response = client.post(
        "/insights/population/",
        {"academic_year": "2026/27", "extract": SimpleUploadedFile("record.csv", content)},
        follow=True,
    )
    return response.content.decode()


@pytest.mark.django_db
def test_the_report_shows_how_each_code_was_read_and_uk_students_keep_their_quintiles(
    client, make_user
):
    sign_in(client, make_user("staff"))
    rows = [
        [
            "student_number",
            "email",
            "full_name",
            "level",
            "mode",
            "fee_status",
            "domicile",
            "imd_quintile",
        ],
        ["S1", "ana@example.ac.uk", "Ana Li", "UG", "FT", "H", "UK", "1"],
        ["S2", "ben@example.ac.uk", "Ben Ode", "UG", "PT", "H", "GB", "2"],
        ["S3", "cy@example.ac.uk", "Cy Dee", "PG", "FT", "I", "FR", ""],
    ]
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    page = upload(client, out.getvalue().encode())
    assert "How the codes in the file were read" in page
    assert "<td>UG</td><td>Undergraduate</td><td>2</td>" in page
    assert "<td>UK</td><td>XK</td><td>1</td>" in page and "<td>GB</td><td>XK</td><td>1</td>" in page
    assert "domiciled outside the UK" not in page  # UK and GB are the UK
    assert "“PG” could be taught or research: write PGT or PGR." in page
    assert "Rows ready to import</dt><dd>2" in page
    assert not Student.objects.exists()  # nothing saved before confirming


@pytest.mark.django_db
def test_the_template_file_imports_without_a_problem(client, make_user):
    sign_in(client, make_user("staff"))
    template = client.get("/insights/population/template.csv")
    assert template["Content-Disposition"] == 'attachment; filename="student-record-template.csv"'
    header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert tuple(header) == COLUMNS
    page = upload(client, template.content)
    assert "Rows ready to import</dt><dd>2" in page and "No problems found." in page
    assert "Codes the import reads" in client.get("/insights/population/").content.decode()


@pytest.mark.django_db
def test_before_selection_the_student_and_staff_see_who_is_not_on_the_record(client, make_user):

    mi = MicroInternshipFactory(open_now=True)
    on_record = StudentFactory(with_user=True, record_imported_at=timezone.now())
    missing = StudentFactory(with_user=True)
    for student in (on_record, missing):
        ExpressionOfInterestFactory(student=student, micro_internship=mi)

    sign_in(client, missing.user)
    page = client.get(reverse("applications:my_interests")).content.decode()
    assert "We cannot find you on the student record" in page
    assert f"no student number {missing.student_number}" in page
    assert "business-clinic@example.ac.uk" in page
    sign_in(client, on_record.user)
    assert (
        "cannot find you" not in client.get(reverse("applications:my_interests")).content.decode()
    )

    sign_in(client, make_user("staff"))
    staff_page = client.get(reverse("staff:micro_internship", args=[mi.pk])).content.decode()
    assert staff_page.count("Not on the student record") == 1


@pytest.mark.django_db
def test_before_any_record_is_imported_nobody_is_told_they_are_missing(client):

    student = StudentFactory(with_user=True)
    sign_in(client, student.user)
    assert (
        "cannot find you" not in client.get(reverse("applications:my_interests")).content.decode()
    )
