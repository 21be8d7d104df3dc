"""Small words on the coordinator's pages: each thing said once, and counts that stay true
after the register is taken."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from microintern.applications.enums import PlaceState
from microintern.programme.enums import MicroInternshipState
from tests.accounts.factories import sign_in
from tests.applications.factories import ExpressionOfInterestFactory
from tests.programme.factories import MicroInternshipFactory, on_the_day

pytestmark = pytest.mark.django_db


def text_of(page: str, selector: str) -> list[str]:
    soup = BeautifulSoup(page, "html.parser")
    return [" ".join(el.get_text(" ").split()) for el in soup.select(selector)]


def test_the_register_names_each_student_once(client, make_user):
    mi = MicroInternshipFactory()
    ExpressionOfInterestFactory(
        micro_internship=mi, state=PlaceState.ACCEPTED, student__full_name="Leah Osei"
    )
    ExpressionOfInterestFactory(
        micro_internship=mi,
        state=PlaceState.ACCEPTED,
        student__full_name="Kwabena Mensah",
        student__preferred_name="Kofi",
    )
    with on_the_day(mi):
        sign_in(client, make_user("staff"))
        page = client.get(reverse("staff:register", args=[mi.pk])).content.decode()
    assert sorted(text_of(page, "legend")) == ["Kofi Kwabena Mensah", "Leah Osei"]


def test_a_subject_area_that_repeats_the_sector_is_shown_once(client):
    mi = MicroInternshipFactory(open_now=True)
    mi.challenge.organisation.sector = "Transport and repair"
    mi.challenge.organisation.save()
    mi.challenge.subject_area = "Transport and repair"
    mi.challenge.save()
    for url in (reverse("public:home"), reverse("public:detail", args=[mi.reference])):
        page = client.get(url).content.decode()
        assert "Transport and repair · Transport and repair" not in page
        assert page.count("Transport and repair") >= 1


def test_a_different_subject_area_is_still_shown_beside_the_sector(client):
    mi = MicroInternshipFactory(open_now=True)
    mi.challenge.organisation.sector = "Transport and repair"
    mi.challenge.organisation.save()
    mi.challenge.subject_area = "Marketing"
    mi.challenge.save()
    page = client.get(reverse("public:detail", args=[mi.reference])).content.decode()
    assert "Transport and repair · Marketing" in page


def test_accepted_still_counts_the_team_after_the_register(staff_client):
    mi = MicroInternshipFactory(state=MicroInternshipState.SELECTION_PUBLISHED)
    for state in (PlaceState.ATTENDED, PlaceState.ATTENDED, PlaceState.NO_SHOW):
        ExpressionOfInterestFactory(micro_internship=mi, state=state)
    page = staff_client.get(reverse("staff:micro_internship", args=[mi.pk])).content.decode()
    facts = dict(zip(text_of(page, "dl.facts dt"), text_of(page, "dl.facts dd"), strict=True))
    assert facts["Accepted"] == "3"
    assert facts["Attended"] == "2 of 3 (1 did not attend)"
    assert facts["Offered, awaiting a reply"] == "0"
    dashboard = staff_client.get(reverse("staff:dashboard")).content.decode()
    row = next(r for r in text_of(dashboard, "tbody tr") if mi.reference in r)
    assert row.endswith("3 2")  # Accepted 3, Attended 2
