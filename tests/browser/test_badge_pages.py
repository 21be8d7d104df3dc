"""The badge check page in a real browser: paste or upload a badge, keyboard and axe clean,
at 320 px wide, and a tampered badge refused with the pasted text kept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from microintern.applications.badges import issue_badge
from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.programme.enums import MicroInternshipState
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.student_pages import check_page
from tests.programme.factories import MicroInternshipFactory, on_the_day

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def badge(live_server, settings):
    settings.MICROINTERN = {**settings.MICROINTERN, "BASE_URL": live_server.url}
    mi = MicroInternshipFactory(
        state=MicroInternshipState.SELECTION_PUBLISHED,
        starts_at=timezone.now() + timedelta(days=1),
        interest_opens_at=timezone.now() - timedelta(days=20),
        interest_closes_at=timezone.now() - timedelta(days=10),
    )
    interest = ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ACCEPTED)
    with on_the_day(mi, hours=7):
        transition_place(interest, PlaceState.ATTENDED)
        return issue_badge(interest), interest


def test_a_pasted_badge_is_checked_and_a_tampered_one_refused(live_server, page, axe, badge):
    token, interest = badge
    page.goto(f"{live_server.url}/badges/check/")
    check_page(page, axe)
    page.fill("#id_badge_text", token)
    page.fill("#id_email", interest.student.email)
    page.get_by_role("button", name="Check the badge").click()
    body = page.inner_text("body")
    assert "This badge is genuine" in body and interest.micro_internship.title in body
    assert f"It was issued to {interest.student.email}" in body
    check_page(page, axe)
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    page.fill("#id_badge_text", tampered)
    page.get_by_role("button", name="Check the badge").click()
    assert "The signature does not match" in page.inner_text("body")
    assert page.input_value("#id_badge_text") == tampered
    check_page(page, axe)


def test_a_badge_file_can_be_uploaded(live_server, page, badge, tmp_path):
    token, _ = badge
    badge_file = tmp_path / "open-badge.jwt"
    badge_file.write_text(token)
    page.goto(f"{live_server.url}/badges/check/")
    page.set_input_files("#id_badge_file", str(badge_file))
    page.get_by_role("button", name="Check the badge").click()
    assert "This badge is genuine" in page.inner_text("body")
