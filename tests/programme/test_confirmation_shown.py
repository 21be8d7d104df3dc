"""Staff can tell a confirmed interest (it counts in selection) from one still waiting for
the student to confirm it: they do not both just say "Received"."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db


def test_confirmed_and_unconfirmed_interests_look_different(staff_client):
    mi = MicroInternshipFactory(open_now=True)
    ExpressionOfInterestFactory(
        micro_internship=mi, student__full_name="Leah Osei", verified_at=timezone.now()
    )
    ExpressionOfInterestFactory(micro_internship=mi, student__full_name="Tom Reid")
    page = staff_client.get(reverse("staff:micro_internship", args=[mi.pk])).content.decode()
    soup = BeautifulSoup(page, "html.parser")
    state_of = {}
    for row in soup.select("tbody tr"):
        cells = [" ".join(td.get_text(" ").split()) for td in row.find_all("td")]
        if len(cells) == 7:  # tick, student, programme, received, source, state, decision
            state_of[cells[1].split(" ")[0] + " " + cells[1].split(" ")[1]] = cells[5]
    assert state_of["Leah Osei"] == "Received Confirmed"
    assert state_of["Tom Reid"] == (
        "Received Not confirmed Does not count in selection until the student confirms it "
        "by the emailed link."
    )
    facts = dict(
        zip(
            [dt.get_text() for dt in soup.select("dl.facts dt")],
            [" ".join(dd.get_text(" ").split()) for dd in soup.select("dl.facts dd")],
            strict=True,
        )
    )
    assert facts["Interest"] == "2 (1 confirmed)"
