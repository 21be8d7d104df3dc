"""Text a person typed reaches the CSV and XLSX files as text, never as a live formula."""

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from microintern.applications.enums import PlaceState
from microintern.core.spreadsheets import spreadsheet_cell
from microintern.insights import domain
from microintern.insights.models import PopulationRecord
from tests.accounts.factories import StudentFactory, sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_text_that_starts_like_a_formula_is_prefixed_with_a_quote(value):
    assert spreadsheet_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-2", "-0.35", "+1.50 points", "-1.20 to +3.40", "12.5%", 7, -3])
def test_figures_stay_figures(value):
    assert spreadsheet_cell(value) == value


def _world(value: str, students: int = 12, micro_internships: int = 3):
    """Verified, consenting students at a school named ``value``, on micro-internships hosted
    by sector ``value`` (by default enough for the dashboard to publish)."""
    when = datetime(2026, 10, 15, 9, 30, tzinfo=UTC)
    challenge = ChallengeFactory(contact__organisation__sector=value)
    mis = [
        MicroInternshipFactory(challenge=challenge, starts_at=when)
        for _ in range(micro_internships)
    ]
    for index in range(students):
        student = StudentFactory(school=value, imd_quintile=1)
        PopulationRecord.objects.create(
            student=student, academic_year="2026/27", imd_quintile=1, school=value
        )
        ExpressionOfInterestFactory(
            student=student,
            micro_internship=mis[index % len(mis)],
            state=PlaceState.ATTENDED,
            verified_at=timezone.now(),
        )
        domain.give_research_consent(student, quotes=False)


@pytest.mark.parametrize("value", HOSTILE)
def test_research_csv_shows_a_hostile_host_sector_as_text(value, client, make_user, settings):
    settings.MICROINTERN_RESEARCH_KEY = "k" * 32
    _world(value, students=5, micro_internships=1)  # five alike: nothing needs generalising
    study = domain.create_study("Formulas")
    sign_in(client, make_user("researcher"))
    response = client.get(f"/insights/research/{study.pk}/package.zip")
    text = zipfile.ZipFile(io.BytesIO(response.content)).read("interests.csv").decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 5
    assert {row["host_sector"] for row in rows} == {"'" + value}
    assert {row["school"] for row in rows} == {"'" + value}


@pytest.mark.parametrize("value", HOSTILE)
def test_dashboard_csv_shows_a_hostile_school_as_text(value, client, make_user):
    _world(value)
    sign_in(client, make_user("researcher"))
    response = client.get("/insights/export/funnel.csv?year=2026/27&characteristic=school")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert ["'" + value] in [row[:1] for row in rows]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("value", HOSTILE)
def test_dashboard_xlsx_shows_a_hostile_school_as_text_never_a_formula(value, client, make_user):
    _world(value)
    sign_in(client, make_user("researcher"))
    response = client.get("/insights/export/all.xlsx?year=2026/27&characteristic=school")
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    # Without lxml, openpyxl's XML writer turns a carriage return into a newline; with it
    # (installed for SAML), the carriage return is kept. Either way the cell is the text.
    shown = {"'" + value, "'" + value.replace("\r", "\n")}
    school_cells = [cell for cell in cells if cell.value in shown]
    assert school_cells and all(cell.data_type == "s" for cell in school_cells)
    assert all(isinstance(cell.value, int) for cell in workbook["funnel"]["B"][6:])
