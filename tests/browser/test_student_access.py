"""Student pages for everyone: keyboard only, no JavaScript, light pages, kind error pages.

Each page is checked with axe (WCAG 2.2 A/AA) and at 320 px wide.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from microintern.applications import links
from microintern.applications.domain import count_words, transition_place
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.programme.enums import MicroInternshipState
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.student_pages import (
    PAGE_BUDGET,
    check_page,
    open_micro_internship,
    page_weight,
    sign_in,
)
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS_IN_ORDER = [
    ("id_full_name", "Sam Lee"),
    ("id_email", "sam.lee@example.ac.uk"),
    ("id_student_number", "S3000001"),
    ("id_statement", "I work evenings, so one day is something I can actually do."),
    ("id_access_needs", ""),
]


TRICKY_TEXTS = [
    "",
    "   ",
    "one",
    "  leading and trailing  ",
    "line\nbreaks\n\nand\ttabs",
    "non\u00a0breaking space",
    "well-known e-mail, don't stop",
    "emoji 🙂 count 🙂",
    "wide\u3000space and\u2003em space",
]


def active_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_the_interest_form_can_be_completed_with_the_keyboard_alone(live_server, page, axe):
    mi = open_micro_internship()
    page.goto(f"{live_server.url}/micro-internships/{mi.reference}/")
    for _ in range(40):  # Tab from the top of the page to the button, then Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Say you're interested":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/my/interest/{mi.reference}/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if active_id(page) == "id_full_name":
            break
    for field_id, text in FIELDS_IN_ORDER:
        assert active_id(page) == field_id, f"Tab order reached {active_id(page)}"
        if text:
            page.keyboard.type(text)
        page.keyboard.press("Tab")
    assert active_id(page) == "id_can_attend"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Send"
    focus_ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focus_ring == "solid"  # the focused control is visible
    page.keyboard.press("Enter")
    page.wait_for_url("**/sent/")
    assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
    interest = ExpressionOfInterest.objects.get(student__email="sam.lee@example.ac.uk")
    assert interest.can_attend and interest.micro_internship == mi


def test_everything_works_without_javascript(live_server, chromium, axe):
    mi = open_micro_internship()
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 320, "height": 640}
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        page.get_by_label("Month").select_option(index=1)
        page.get_by_role("button", name="Show").click()
        assert "month=" in page.url and page.get_by_text(mi.title).first.is_visible()
        page.goto(f"{live_server.url}/my/interest/{mi.reference}/")
        assert page.locator("#statement-count").inner_text() == "You can use up to 150 words."
        page.get_by_label("Your full name").fill("Jo Brown")
        page.get_by_label("Your university email address").fill("jo.brown@example.ac.uk")
        page.get_by_label("Your student number").fill("S3000002")
        page.get_by_label("Why are you interested?").fill(" ".join(["word"] * 155))
        page.get_by_label("I can come on the day").check()
        page.get_by_role("button", name="Send").click()
        # Without JavaScript the server counts: in the error, and under the box.
        assert "Your answer has 155 words" in page.get_by_role("alert").inner_text()
        assert page.locator("#statement-count").inner_text() == "You have used 155 of 150 words."
        assert page.get_by_label("I can come on the day").is_checked()
        page.get_by_label("Why are you interested?").fill("Short and sweet.")
        page.get_by_role("button", name="Send").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
        interest = ExpressionOfInterest.objects.get(student__email="jo.brown@example.ac.uk")
        page.goto(f"{live_server.url}/my/confirm/{links.confirm_token(interest)}/")
        page.get_by_role("button", name="Keep — this was me").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Your interest counts"
        transition_place(interest, PlaceState.OFFERED)
        interest.refresh_from_db()
        page.goto(f"{live_server.url}/my/offer/{links.offer_token(interest)}/")
        page.get_by_role("button", name="Accept my place").click()
        expect(page.get_by_text("You have accepted this place.")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    finally:
        context.close()


def test_the_live_word_count_helps_with_javascript(live_server, page, axe):
    mi = open_micro_internship()
    page.goto(f"{live_server.url}/my/interest/{mi.reference}/")
    counter = page.locator("#statement-count")
    page.get_by_label("Why are you interested?").fill("one two three")
    assert counter.inner_text() == "You have used 3 of 150 words."
    page.get_by_label("Why are you interested?").fill(" ".join(["w"] * 152))
    assert "That is 2 words too many" in counter.inner_text()
    for text in TRICKY_TEXTS:  # the page counts exactly as the server does
        page.get_by_label("Why are you interested?").fill(text)
        shown = counter.inner_text()
        assert shown == f"You have used {count_words(text)} of 150 words.", (text, shown)
    described = page.get_by_label("Why are you interested?").get_attribute("aria-describedby")
    assert "statement-count" in described
    check_page(page, axe)


def student_pages(live_server):
    """(name, url) of every student page, in its normal and error states."""
    mi = open_micro_internship()
    closed = MicroInternshipFactory(state=MicroInternshipState.CLOSED)
    offered = ExpressionOfInterestFactory(micro_internship=mi)
    transition_place(offered, PlaceState.OFFERED)
    offered.refresh_from_db()
    attended = ExpressionOfInterestFactory(state=PlaceState.ATTENDED)
    made_in_their_name = ExpressionOfInterestFactory(micro_internship=mi)
    late = ExpressionOfInterestFactory(micro_internship=mi)
    transition_place(late, PlaceState.OFFERED)
    late.refresh_from_db()
    ExpressionOfInterest.objects.filter(pk=late.pk).update(
        offer_expires_at=timezone.now() - timedelta(hours=1)
    )
    late.refresh_from_db()
    base = live_server.url
    return [
        ("list", f"{base}/"),
        ("list filtered to nothing", f"{base}/?month=1999-01"),
        ("detail", f"{base}/micro-internships/{mi.reference}/"),
        ("form", f"{base}/my/interest/{mi.reference}/"),
        ("unknown micro-internship", f"{base}/my/interest/MI-1999-001/"),
        ("closed micro-internship", f"{base}/my/interest/{closed.reference}/"),
        ("sent", f"{base}/my/interest/{mi.reference}/sent/"),
        ("confirm", f"{base}/my/confirm/{links.confirm_token(offered)}/"),
        ("keep or discard", f"{base}/my/confirm/{links.confirm_token(made_in_their_name)}/"),
        ("broken link", f"{base}/my/confirm/not-a-real-token/"),
        ("offer", f"{base}/my/offer/{links.offer_token(offered)}/"),
        ("offer past its reply-by time", f"{base}/my/offer/{links.offer_token(late)}/"),
        ("feedback", f"{base}/my/feedback/{links.after_the_day_token(attended)}/"),
        ("no certificate", f"{base}/my/certificate/{links.after_the_day_token(offered)}/"),
        # Marked attended (factory) before its day, a month ahead: not issued yet.
        ("certificate not yet", f"{base}/my/certificate/{links.after_the_day_token(attended)}/"),
    ]


def test_every_student_page_is_accessible_light_and_local(live_server, page, axe):
    weights = {}
    for name, url in student_pages(live_server):
        total, foreign = page_weight(page, url)
        assert not foreign, f"{name}: loads from other sites: {foreign}"
        assert total <= PAGE_BUDGET, f"{name}: {total} bytes of HTML, CSS and JavaScript"
        weights[name] = total
        check_page(page, axe)
    student = StudentFactory(with_user=True)
    ExpressionOfInterestFactory(student=student, state=PlaceState.ACCEPTED)
    ExpressionOfInterestFactory(student=student, state=PlaceState.NOT_SELECTED)
    sign_in(page, live_server.url, student.user)
    total, foreign = page_weight(page, f"{live_server.url}/my/")
    assert not foreign and total <= PAGE_BUDGET
    weights["my micro-internships"] = total
    check_page(page, axe)
    print("page weights (bytes):", weights)
    # The not-selected interest was made while signed out: shown first, to keep or discard.
    assert page.get_by_role("heading", name="Made in your name while you were signed out")
    keep = page.get_by_role("button", name=re.compile("^Keep — this was me"))
    keep.focus()
    page.keyboard.press("Enter")
    page.get_by_text("You have kept it, so your interest now counts.").wait_for()
    assert not page.get_by_role("heading", name="Made in your name").count()
    check_page(page, axe)
    # Withdrawing cannot be undone, so it asks once more (an accessible page too).
    page.get_by_role("button", name="Withdraw").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Withdraw?"
    check_page(page, axe)
    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_text("Place accepted")).to_be_visible()


def test_error_states_are_accessible(live_server, page, axe):
    mi = open_micro_internship()
    taken = StudentFactory(student_number="S9999999")
    page.goto(f"{live_server.url}/my/interest/{mi.reference}/")
    page.get_by_role("button", name="Send").click()  # everything missing
    expect(page.get_by_role("alert")).to_be_visible()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.className") == "error-summary"
    assert page.locator(".error-message").count() == 5
    check_page(page, axe)
    page.get_by_label("Your full name").fill("Not The Owner")
    page.get_by_label("Your university email address").fill("someone@gmail.com")
    page.get_by_label("Your student number").fill(taken.student_number)
    page.get_by_label("Why are you interested?").fill("Hello")
    page.get_by_label("I can come on the day").check()
    page.get_by_role("button", name="Send").click()
    assert "Please use your university email address" in page.get_by_role("alert").inner_text()
    assert taken.email not in page.content()
    assert page.get_by_label("Why are you interested?").input_value() == "Hello"
    check_page(page, axe)
    # The error summary links go to their fields.
    page.get_by_role("alert").get_by_role("link").first.click()
    assert active_id(page) == "id_email"
