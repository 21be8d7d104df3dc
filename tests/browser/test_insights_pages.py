"""Insights and survey pages in a real browser: axe finds no WCAG violations; the survey
works at phone width."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from microintern.accounts.models import Student, User
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(db):
    call_command("demo")
    call_command("demo_insights")
    call_command("seed_instruments")


def test_dashboard_and_impact_pages_are_accessible(live_server, page, axe, demo, client):
    sign_in(page, live_server.url, User.objects.get(email="researcher@example.ac.uk"))
    page.goto(live_server.url + "/insights/")
    assert (
        page.get_by_role("heading", level=1).inner_text() == "Insights: whom the programme reaches"
    )
    assert page.locator("svg[role=img] title").count() >= 2
    assert_no_axe_violations(axe, page)
    page.get_by_label("Cross with (optional)").select_option("ethnicity")
    page.get_by_role("button", name="Show figures").click()
    assert page.get_by_role(
        "heading", name="Funnel by IMD quintile (Q1 most deprived) and Ethnic group (broad)"
    ).is_visible()
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + "/insights/impact/")
    assert_no_axe_violations(axe, page)


SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll("svg.chart text")].map(
    (t) => t.getBoundingClientRect().height))"""


@pytest.mark.parametrize("width", [320, 1280])
def test_chart_text_reads_at_12_px_or_more(live_server, page, axe, demo, width):
    """Text drawn 13 units high reads at 12 px or more at any width: the figure scrolls on a
    phone rather than shrinking the chart."""
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server.url, User.objects.get(email="researcher@example.ac.uk"))
    page.goto(live_server.url + "/insights/")
    # A text's box is its font's ascent + descent, about 1.15 times its size.
    assert page.evaluate(SMALLEST_CHART_TEXT) >= 12 * 1.1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert_no_axe_violations(axe, page)


def test_population_import_page_is_accessible(live_server, page, axe, demo, client):
    sign_in(page, live_server.url, User.objects.get(email="staff@example.ac.uk"))
    page.goto(live_server.url + "/insights/population/")
    assert_no_axe_violations(axe, page)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_axe_violations(axe, page)


def test_student_choices_and_survey_work_on_a_phone(live_server, page, axe, demo, client):
    from microintern.surveys.domain import invite
    from microintern.surveys.enums import InstrumentKind

    student = Student.objects.get(student_number="20260001")
    sign_in(page, live_server.url, student.user)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/my/equality-monitoring/")
    assert_no_axe_violations(axe, page)
    page.get_by_role("group", name="Sex What is your sex?").get_by_label(
        "Prefer not to say"
    ).check()
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_text("Your answers are saved")).to_be_visible()
    page.goto(live_server.url + "/my/research-consent/")
    assert_no_axe_violations(axe, page)
    invitation = invite(InstrumentKind.STUDENT_POST, student=student)
    page.goto(live_server.url + f"/surveys/{invitation.token}/")
    assert_no_axe_violations(axe, page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.get_by_role("group", name="Preparing for the future").get_by_label(
        "4 – Very strong"
    ).check()
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Thank you"


def test_instrument_pages_are_accessible(live_server, page, axe, demo, client):
    sign_in(page, live_server.url, User.objects.get(email="staff@example.ac.uk"))
    page.goto(live_server.url + "/staff/surveys/")
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="Edit Your micro-internship as a host").click()
    assert_no_axe_violations(axe, page)
