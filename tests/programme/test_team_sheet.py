"""The team list staff take to the day: a spreadsheet with the adjustments asked for, its
download logged, cells that cannot run as formulas."""

import csv
import io

import pytest
from django.urls import reverse

from microintern.applications.enums import PlaceState
from microintern.core.models import ActivityLog
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def test_the_team_list_has_the_team_and_their_adjustments_only(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    accepted = ExpressionOfInterestFactory(
        micro_internship=mi,
        state=PlaceState.ACCEPTED,
        access_needs='=HYPERLINK("http://evil.example") I need a quiet room',
    )
    ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.WAITLISTED)
    response = staff_client.get(reverse("staff:team_csv", args=[mi.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="{mi.reference}-team.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Full name" and len(rows) == 2  # the header and the one in the team
    assert rows[1][2] == accepted.student.student_number
    assert rows[1][6].startswith("'=HYPERLINK")  # shown as text, never run
    assert ActivityLog.objects.get(action="micro_internship.team_exported").data == {"rows": 1}
