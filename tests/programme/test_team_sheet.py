"""The team list staff take to the day: a spreadsheet with the adjustments asked for, its
download logged, cells that cannot run as formulas; the register flags the adjustments for
staff, and the host never sees them."""

import csv
import io

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from microintern.applications.enums import PlaceState
from microintern.core.models import ActivityLog
from tests.accounts.factories import sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.hosts.test_bad_input import host_of
from tests.programme.factories import MicroInternshipFactory, on_the_day
from tests.programme.test_small_wording import text_of

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


def test_the_register_flags_the_adjustments_for_staff_and_the_host_never_sees_them(
    client, make_user
):
    mi = MicroInternshipFactory()
    needs = "A quiet room for the breaks: I have a hearing aid."
    asked = ExpressionOfInterestFactory(
        micro_internship=mi,
        state=PlaceState.ACCEPTED,
        student__full_name="Lena Fischer",
        access_needs=needs,
    )
    ExpressionOfInterestFactory(
        micro_internship=mi, state=PlaceState.ACCEPTED, student__full_name="Kofi Mensah"
    )
    staff = make_user("staff")
    register = reverse("staff:register", args=[mi.pk])
    sign_in(client, staff)
    before = client.get(register).content.decode()  # the team before the day
    with on_the_day(mi):
        sign_in(client, staff)
        on_the_day_page = client.get(register).content.decode()
    for page in (before, on_the_day_page):
        flagged = text_of(page, ".register-needs")
        assert flagged == [f"Adjustments asked for {needs}"]
    rows = {
        " ".join(row.legend.get_text(" ").split()): " ".join(row.get_text(" ").split())
        for row in BeautifulSoup(on_the_day_page, "html.parser").select("fieldset.register-row")
    }
    assert needs in rows["Lena Fischer"]
    assert "Adjustments asked for" not in rows["Kofi Mensah"]

    client.logout()
    client.force_login(host_of(mi, make_user))
    host_page = client.get(reverse("hosts:micro_internship", args=[mi.pk])).content.decode()
    assert asked.student.display_name in host_page  # the team is there, first names only
    assert needs not in host_page
    assert "Adjustments asked for" not in host_page
