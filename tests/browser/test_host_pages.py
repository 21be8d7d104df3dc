"""Host pages in a real browser: offer a challenge without an account, then the host's own
pages. axe (WCAG 2.2 A/AA) finds no violations on any of them, errors included."""

import re

import pytest
from playwright.sync_api import expect

from microintern.applications.enums import PlaceState
from microintern.hosts import links
from microintern.hosts.models import HostContact, UnconfirmedProposal
from microintern.programme.enums import MicroInternshipState
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.hosts.factories import HostContactFactory
from tests.hosts.test_host_journey import PROPOSAL
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_offering_a_challenge_is_accessible_including_its_errors(live_server, page, axe):
    page.goto(live_server.url + "/host/offer/")
    assert page.get_by_role("heading", level=1).inner_text() == "Offer a challenge to our students"
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name="Send my challenge").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_label("Organisation name").fill("Riverside Food Bank")
    page.get_by_label("Kind of organisation").select_option("charity")
    page.get_by_label("Sector").fill("Community")
    page.get_by_label("Size").select_option("micro")
    page.get_by_label("Your name").fill("Sam Okafor")
    page.get_by_label("Your email address").fill("sam@riverside.example")
    page.get_by_label("A short title for the challenge").fill("Reaching more volunteers")
    page.get_by_label("About your organisation and the situation").fill("A small food bank.")
    page.get_by_label("The question you would like the team to answer").fill("How to recruit?")
    page.get_by_label("What a useful outcome would look like").fill("Three options.")
    page.get_by_label("Address where the team would work").fill("12 Mill Lane")
    page.get_by_label("Is there step-free access?").select_option("yes")
    page.get_by_role("button", name="Send my challenge").click()
    assert "we have your challenge" in page.get_by_role("heading", level=1).inner_text()
    assert_no_axe_violations(axe, page)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/host/offer/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_every_box_of_the_offer_form_is_drawn_the_same_way(live_server, page):
    """The website's box (an address field) looks like the others: as wide, same border."""
    page.goto(live_server.url + "/host/offer/")
    name = page.get_by_label("Organisation name")
    website = page.get_by_label("Website (optional)")
    assert website.bounding_box()["width"] == name.bounding_box()["width"]
    border = "el => getComputedStyle(el).borderTopWidth"
    assert website.evaluate(border) == name.evaluate(border)


def test_the_hosts_own_pages_are_accessible(live_server, page, axe, make_user):
    mi = MicroInternshipFactory(state=MicroInternshipState.COMPLETED)
    for _ in range(2):
        ExpressionOfInterestFactory(micro_internship=mi, state=PlaceState.ATTENDED)
    host = make_user("host")
    HostContact.objects.filter(pk=mi.challenge.contact.pk).update(user=host)
    sign_in(page, live_server.url, host)
    page.goto(live_server.url + "/host/")
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name=mi.challenge.title).click()
    assert page.get_by_role("heading", level=1).inner_text() == mi.challenge.title
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + f"/host/micro-internships/{mi.pk}/")
    expect(page.get_by_role("heading", name="Your team")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_label("Briefing file").set_input_files(
        files=[{"name": "run.exe", "mimeType": "application/pdf", "buffer": b"MZ\x90" * 50}]
    )
    page.get_by_role("button", name="Share this file with the team").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Tell us how the day went").click()
    assert page.get_by_role("heading", level=1).inner_text() == "How did the day go?"
    assert_no_axe_violations(axe, page)


def test_confirming_a_challenge_offered_with_a_contacts_address_is_accessible(
    live_server, page, axe
):
    contact = HostContactFactory(organisation__name="Riverside Food Bank")
    proposal = UnconfirmedProposal.objects.create(
        contact=contact,
        title="Reaching more volunteers",
        typed={**PROPOSAL, "step_free_access": True, "quiet_room": False},
        proposed_at=contact.organisation.created_at,
    )
    page.goto(f"{live_server.url}/host/offer/confirm/{links.confirm_token(proposal)}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Did you offer this challenge?"
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name=re.compile("Yes, I offered it")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Challenge added"
    assert_no_axe_violations(axe, page)
    page.goto(f"{live_server.url}/host/offer/confirm/not-a-real-token/")
    assert page.get_by_role("heading", level=1).inner_text() == "This link does not work"
    assert_no_axe_violations(axe, page)
