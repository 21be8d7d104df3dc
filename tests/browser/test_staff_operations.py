"""Staff operations and the outbox in a real browser: axe (WCAG 2.2 A/AA) finds no
violations on any page, error states included; the register works at phone width."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.hosts.enums import ChallengeState
from microintern.mail.outbox import queue_email
from tests import smtp_sink as sink
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.hosts.factories import ChallengeFactory
from tests.programme.factories import MicroInternshipFactory, on_the_day

smtp_sink = sink.smtp_sink  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_page(page, live_server, make_user):
    sign_in(page, live_server.url, make_user("staff"))
    return page


def test_outbox_and_template_pages_are_accessible(live_server, staff_page, axe, smtp_sink):
    page = staff_page
    failed = ExpressionOfInterestFactory()
    smtp_sink.refuse[failed.student.email] = (550, "5.1.1 Mailbox unavailable")
    transition_place(failed, PlaceState.OFFERED)
    held = ExpressionOfInterestFactory()
    queue_email(
        "place_offered",
        to=held.student.email,
        context={"interest": held, "student": held.student, "mi": held.micro_internship},
        hold=True,
    )
    page.goto(live_server.url + "/staff/outbox/")
    assert page.get_by_role("heading", level=1).inner_text() == "Outbox"
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + "/staff/outbox/?state=draft")
    expect(page.get_by_role("button", name="Send the ticked emails")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + "/staff/outbox/?state=failed")
    page.get_by_role("link", name=failed.micro_internship.title, exact=False).first.click()
    expect(page.get_by_role("heading", name="This email was not sent")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + f"/staff/students/{failed.student.pk}/emails/")
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + "/staff/email-templates/")
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Place offered").click()
    expect(page.get_by_role("heading", name="Preview with made-up details")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_label("Subject").fill("Live {{ mi.reference }}")  # previewed as you type
    expect(page.locator("section.preview")).to_contain_text("Live MI-2026-007")
    page.get_by_label("Body").fill("Hello {{ student.nickname }}")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_no_axe_violations(axe, page)


def test_pipeline_scheduling_register_and_calendar_are_accessible(
    live_server, staff_page, axe, make_user
):
    page = staff_page
    challenge = ChallengeFactory(state=ChallengeState.ACCEPTED)
    page.goto(live_server.url + "/staff/challenges/")
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name=challenge.title).click()
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Schedule a micro-internship").click()
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name="Schedule and email the host").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_no_axe_violations(axe, page)

    mi = MicroInternshipFactory(open_now=True)
    team = [ExpressionOfInterestFactory(micro_internship=mi) for _ in range(2)]
    for interest in team:
        transition_place(interest, PlaceState.OFFERED)
        transition_place(interest, PlaceState.ACCEPTED)
    page.goto(live_server.url + f"/staff/micro-internships/{mi.pk}/")
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Change details, capacity or facilitator").click()
    assert_no_axe_violations(axe, page)
    page.set_viewport_size({"width": 360, "height": 740})
    register = live_server.url + f"/staff/micro-internships/{mi.pk}/register/"
    page.goto(register)  # before the day: it says when it opens
    expect(page.get_by_text("The register opens on", exact=False)).to_be_visible()
    assert_no_axe_violations(axe, page)
    with on_the_day(mi):
        sign_in(page, live_server.url, make_user("staff"))  # the clock moved on a month
        page.goto(register)
        assert_no_axe_violations(axe, page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_role("group", name=team[0].student.full_name, exact=True).get_by_label(
            "Present"
        ).check()
        page.get_by_role("group", name=team[1].student.full_name, exact=True).get_by_label(
            "Late"
        ).check()
        page.get_by_role("button", name="Save the register").click()
        expect(page.get_by_text("Register saved: 2 changes.")).to_be_visible()
    assert {i.state for i in mi.interests.all()} == {PlaceState.ATTENDED}
    sign_in(page, live_server.url, make_user("staff"))  # back to today
    page.set_viewport_size({"width": 1024, "height": 800})
    page.goto(live_server.url + "/staff/calendar/")
    page.get_by_role("button", name="Make my private feed address").click()
    assert page.get_by_label("Feed address").input_value().startswith(live_server.url)
    assert_no_axe_violations(axe, page)


def test_the_activity_feed_reads_as_sentences_and_fits_a_phone(live_server, staff_page):
    """Staff read what happened in words ("Not selected (was: received)"), never a code, and
    a long reason wraps inside the feed at 320 px instead of running off the screen."""
    page = staff_page
    interest = ExpressionOfInterestFactory()
    long_reason = "Thecut-offreachedbythisfullmicro-internshipwasgroupthreepositionfourteen" * 3
    transition_place(interest, PlaceState.NOT_SELECTED, reason=long_reason)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + f"/staff/micro-internships/{interest.micro_internship.pk}/")
    feed = page.locator("ul.activity").inner_text()
    assert "Not selected (was: received)" in feed
    assert "place.not_selected" not in feed and "place." not in feed
    feed_box = page.evaluate(
        "() => { const f = document.querySelector('ul.activity');"
        " return [f.scrollWidth, f.clientWidth, f.getBoundingClientRect().right]; }"
    )
    scroll_width, client_width, right_edge = feed_box
    assert scroll_width <= client_width and right_edge <= 320, feed_box


def test_decline_and_cancel_are_chosen_then_confirmed_accessibly(live_server, staff_page, axe):
    """Nothing is pre-selected; Save without a choice shows the error summary; declining and
    cancelling each show a confirmation naming who is emailed; every step passes axe."""
    page = staff_page
    challenge = ChallengeFactory(contact__name="Sam Okafor")
    page.goto(live_server.url + reverse("hosts:challenge", args=[challenge.pk]))
    expect(page.get_by_label("Decision", exact=True)).to_have_value("")
    page.get_by_label("Message to the host").fill("We already run a similar one this term.")
    page.get_by_role("button", name="Save decision").click()
    expect(
        page.get_by_role("link", name="Please choose a decision for this challenge.")
    ).to_be_visible()
    expect(page.get_by_label("Message to the host")).to_have_value(
        "We already run a similar one this term."
    )
    assert_no_axe_violations(axe, page)
    page.get_by_label("Decision", exact=True).select_option(label="Declined")
    page.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text("We will email Sam Okafor")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name="Decline and email Sam Okafor").click()
    challenge.refresh_from_db()
    assert challenge.state == ChallengeState.DECLINED
    assert challenge.decline_reason == "We already run a similar one this term."

    mi = MicroInternshipFactory(open_now=True)
    ExpressionOfInterestFactory(micro_internship=mi, student__full_name="Leah Osei")
    page.goto(live_server.url + f"/staff/micro-internships/{mi.pk}/")
    expect(page.get_by_label("Change state")).to_have_value("")
    page.get_by_label("Change state").select_option(label="Cancelled")
    page.get_by_label("Reason (needed to cancel").fill("The building is closed.")
    page.get_by_role("button", name="Change state").click()
    expect(page.get_by_text("Leah Osei (Received)")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name="Cancel and email 1 student and the host").click()
    mi.refresh_from_db()
    assert mi.state == "cancelled" and mi.cancel_reason == "The building is closed."


@pytest.mark.parametrize("width", [320, 1280])
def test_the_interest_search_and_system_pages_are_accessible(live_server, staff_page, axe, width):
    page = staff_page
    page.set_viewport_size({"width": width, "height": 900})
    interest = ExpressionOfInterestFactory(
        access_needs="I need to leave by 16:00 on Wednesdays to collect my brother."
    )
    page.goto(
        live_server.url + reverse("staff:micro_internship", args=[interest.micro_internship_id])
    )
    page.get_by_role("link", name=interest.student.full_name, exact=True).click()
    expect(page.get_by_role("heading", name="Adjustments asked for")).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Search").click()
    page.get_by_label("Student, host or micro-internship").fill(interest.student.full_name)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=interest.student.full_name, exact=True)).to_be_visible()
    assert_no_axe_violations(axe, page)
    page.get_by_label("Student, host or micro-internship").fill("a")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("alert")).to_have_text("Please type at least 2 letters or digits.")
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + reverse("staff:system"))
    expect(page.get_by_role("heading", name="System", exact=True)).to_be_visible()
    assert_no_axe_violations(axe, page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_micro_internship_page_prints_without_the_menu_or_buttons(live_server, staff_page):
    page = staff_page
    interest = ExpressionOfInterestFactory(state=PlaceState.ACCEPTED)
    page.goto(
        live_server.url + reverse("staff:micro_internship", args=[interest.micro_internship_id])
    )
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="See who it goes to")).to_be_hidden()
    expect(page.get_by_role("cell", name=interest.student.student_number)).to_be_visible()


def test_the_people_page_is_accessible_to_an_administrator(live_server, page, axe, make_user):
    sign_in(page, live_server.url, make_user("administrator"))
    make_user("staff")
    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People and roles")).to_be_visible()
    assert_no_axe_violations(axe, page)
