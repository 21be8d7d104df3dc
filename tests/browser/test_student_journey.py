"""The whole student journey in Debian's Chromium against a running server, with every
email caught by a real SMTP server (aiosmtpd) and its links followed:

browse → say you're interested → acknowledgement email → confirm → offer (by hand) → accept
→ .ics → reminder → sign in with a code → attended → feedback → certificate.
Every page is checked with axe (normal and error states) and at 320 px wide.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from microintern.applications.domain import transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.applications.reminders import send_due_reminders
from microintern.surveys.models import DayFeedback
from tests import smtp_sink as sink
from tests.browser.conftest import save_screenshot
from tests.browser.student_pages import (
    check_page,
    express_interest,
    last_to,
    link_in,
    open_micro_internship,
    sign_in,
)
from tests.programme.factories import on_the_day

smtp_sink = sink.smtp_sink  # the fixture
pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "amara.okafor@example.ac.uk"
STATEMENT = (
    "I care for my younger brother after lectures, so a year-long placement is out of reach. "
    "One day in a real café would show me how a small business decides where to grow."
)


def shot(page, name: str) -> None:
    save_screenshot(page, f"student-{name}")


def test_the_whole_student_journey(site, page, axe, smtp_sink):
    mi = open_micro_internship()

    # Browse, filter by subject area (a plain GET form), open the micro-internship.
    page.goto(site + "/")
    check_page(page, axe)
    shot(page, "1-list")
    page.get_by_label("Subject area").select_option("Marketing")
    page.get_by_role("button", name="Show").click()
    assert "subject=Marketing" in page.url
    expect(page.get_by_text("1 micro-internship found.")).to_be_visible()
    check_page(page, axe)
    page.get_by_role("link", name=mi.title).click()
    assert page.get_by_role("heading", level=1).inner_text() == mi.title
    expect(page.get_by_text("Step-free entrance")).to_be_visible()
    check_page(page, axe)
    shot(page, "2-detail")
    page.get_by_role("link", name="Say you're interested").click()

    # The form, then its error state: summary at the top, message by each field, text kept.
    check_page(page, axe)
    page.get_by_label("Your full name").fill("Amara Okafor")
    page.get_by_label("Your university email address").fill("amara@gmail.com")
    page.get_by_label("Your student number").fill("s2024123")
    page.get_by_label("Why are you interested?").fill(" ".join(["more"] * 151))
    assert page.locator("#statement-count").inner_text().startswith("You have 151 words.")
    page.get_by_role("button", name="Send").click()
    summary = page.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    assert "Please use your university email address" in summary.inner_text()
    assert "Your answer has 151 words" in summary.inner_text()
    assert page.get_by_label("Your full name").input_value() == "Amara Okafor"
    assert page.get_by_label("Why are you interested?").input_value().count("more") == 151
    assert page.title().startswith("Error:")
    check_page(page, axe)
    shot(page, "3-form-errors")
    page.get_by_label("Your university email address").fill(EMAIL)
    page.get_by_label("Why are you interested?").fill(STATEMENT)
    page.get_by_label("Anything we should arrange").fill("Breaks to take medication at 1pm.")
    page.get_by_label("I can come on the day").check()
    shot(page, "3-form")
    page.get_by_role("button", name="Send").click()

    # Check your email: the acknowledgement has the reference, what happens next, by when.
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    check_page(page, axe)
    shot(page, "4-check-your-email")
    ack = last_to(smtp_sink, EMAIL)
    assert mi.reference in ack.subject
    assert "What happens next" in ack.body and "interest closes on" in ack.body
    interest = ExpressionOfInterest.objects.get(student__email=EMAIL)
    assert interest.verified_at is None

    # The confirm link: the page asks, the button makes it count.
    page.goto(link_in(ack, "/my/confirm/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Is this you?"
    check_page(page, axe)
    shot(page, "4-is-this-you")
    page.get_by_role("button", name="Keep — this was me").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your interest counts"
    check_page(page, axe)
    interest.refresh_from_db()
    assert interest.verified_at is not None

    # Staff offer the place by hand; the offer email's link needs no password.
    transition_place(interest, PlaceState.OFFERED, reason="You have not had a placement before.")
    offer = last_to(smtp_sink, EMAIL, 2)
    assert "A place for you" in offer.subject
    page.goto(link_in(offer, "/my/offer/"))
    expect(page.get_by_text("You have not had a placement before.")).to_be_visible()
    check_page(page, axe)
    shot(page, "5-offer")
    page.get_by_role("button", name="Accept my place").click()
    expect(page.get_by_text("You have accepted your place")).to_be_visible()
    check_page(page, axe)
    shot(page, "6-accepted")

    # The confirmation carries the calendar invite; the page offers it as a download too.
    confirmed = last_to(smtp_sink, EMAIL, 3)
    attachments = [part.get_filename() for part in confirmed.message.iter_attachments()]
    assert attachments == [f"{mi.reference}.ics"]
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Add it to your calendar")).click()
    ics = Path(download_info.value.path()).read_bytes()
    assert b"BEGIN:VEVENT" in ics and mi.reference.encode() in ics
    osm = page.get_by_role("link", name=re.compile("Find it on OpenStreetMap"))
    assert osm.get_attribute("href").startswith(
        "https://www.openstreetmap.org/search?query=Bean+There"
    )

    # Two days before: the reminder (the periodic job is idempotent).
    assert send_due_reminders(mi.starts_at - timedelta(days=2)) == 1
    assert send_due_reminders(mi.starts_at - timedelta(days=2)) == 0
    reminder = last_to(smtp_sink, EMAIL, 4)
    assert reminder.subject.strip().startswith("Reminder:") and "Bus 7" in reminder.body

    # Sign in with an emailed code and see "My micro-internships".
    page.goto(site + "/accounts/login/code/")
    check_page(page, axe)
    page.get_by_label(re.compile("Email", re.I)).fill(EMAIL)
    page.get_by_role("button", name=re.compile("code", re.I)).click()
    code_email = last_to(smtp_sink, EMAIL, 5)
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})\r?$", code_email.body, re.M).group(1)
    check_page(page, axe)
    page.get_by_label(re.compile("code", re.I)).fill(code)
    page.get_by_role("button", name=re.compile("sign in|confirm", re.I)).click()
    assert page.get_by_role("heading", level=1).inner_text() == "My micro-internships"
    expect(page.get_by_text("Place accepted")).to_be_visible()
    expect(page.get_by_role("heading", name="Joining instructions")).to_be_visible()
    check_page(page, axe)
    shot(page, "7-my-micro-internships")

    # On the evening of the day (the register opens on the day itself): thank-you email →
    # feedback (with its error state) → certificate.
    with on_the_day(mi, hours=8):
        transition_place(interest, PlaceState.ATTENDED)
        thanks = last_to(smtp_sink, EMAIL, 6)
        page.goto(link_in(thanks, "/my/feedback/"))
        check_page(page, axe)
        page.get_by_label("Anything you would like to tell us?").fill("The owner really listened.")
        page.get_by_role("button", name="Send feedback").click()
        assert "Please choose how useful the day was." in page.get_by_role("alert").inner_text()
        page.get_by_role("link", name="Please choose how useful the day was.").click()
        assert page.evaluate("document.activeElement.id") == "id_rating_0"
        assert (
            page.get_by_label("Anything you would like").input_value()
            == "The owner really listened."
        )
        check_page(page, axe)
        page.get_by_label("4 – Useful").check()
        shot(page, "8-feedback")
        page.get_by_role("button", name="Send feedback").click()
        expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
        assert DayFeedback.objects.get(interest=interest).rating == 4
        response = page.request.get(link_in(thanks, "/my/certificate/"))
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")
        # A month after signing in, the session has ended: signed in again, the student
        # finds the certificate on their page.
        page.goto(site + "/accounts/login/code/")
        page.get_by_label(re.compile("Email", re.I)).fill(EMAIL)
        sent = len(smtp_sink.to(EMAIL))
        page.get_by_role("button", name=re.compile("code", re.I)).click()
        code_email = last_to(smtp_sink, EMAIL, sent + 1)
        code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})\r?$", code_email.body, re.M).group(1)
        page.get_by_label(re.compile("code", re.I)).fill(code)
        page.get_by_role("button", name=re.compile("sign in|confirm", re.I)).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("My micro-internships")
        certificate = page.get_by_role("link", name=re.compile("certificate of participation"))
        expect(certificate).to_be_visible()
        check_page(page, axe)


def test_an_offer_made_by_hand_on_the_staff_page_reaches_the_student(
    site, chromium, page, axe, smtp_sink, make_user
):
    """Staff can offer places by hand (before the selection run exists): the student hears
    by email and accepts with one click on the link."""
    mi = open_micro_internship()
    express_interest(
        page,
        f"{site}/my/interest/{mi.reference}/",
        name="Kofi Mensah",
        email="k.mensah@example.ac.uk",
        student_number="S5550001",
        statement="I want to see how decisions get made.",
    )
    page.goto(link_in(last_to(smtp_sink, "k.mensah@example.ac.uk"), "/my/confirm/"))
    page.get_by_role("button", name="Keep — this was me").click()

    staff_context = chromium.new_context()
    staff_page = staff_context.new_page()
    try:
        sign_in(staff_page, site, make_user("staff"))
        staff_page.goto(f"{site}/staff/micro-internships/{mi.pk}/")
        staff_page.get_by_label("Decision for Kofi Mensah").select_option(label="Offered a place")
        staff_page.get_by_role("button", name="Save").click()
        assert staff_page.get_by_text("now “Offered a place”").is_visible()
    finally:
        staff_context.close()

    offer = last_to(smtp_sink, "k.mensah@example.ac.uk", 2)
    page.goto(link_in(offer, "/my/offer/"))
    page.get_by_role("button", name="Accept my place").click()
    expect(page.get_by_text("You have accepted your place")).to_be_visible()
    check_page(page, axe)
    interest = ExpressionOfInterest.objects.get(student__email="k.mensah@example.ac.uk")
    assert interest.state == PlaceState.ACCEPTED
