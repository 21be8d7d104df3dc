"""Ranking choices in Chromium: move up / move down on "My micro-internships" with the
keyboard, with JavaScript switched off, buttons named for screen readers, and axe (WCAG 2.2
A/AA) finding nothing, before and after interest closes."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from microintern.programme.domain import set_interest_window_now
from microintern.selection import domain
from tests.accounts.factories import StudentFactory
from tests.applications.factories import ExpressionOfInterestFactory
from tests.browser.conftest import sign_in
from tests.browser.student_pages import check_page
from tests.programme.factories import MicroInternshipFactory

pytestmark = pytest.mark.django_db(transaction=True)


def order_on(page) -> list[str]:
    return [item.inner_text().splitlines()[0] for item in page.locator("ol.choices > li").all()]


def test_a_student_ranks_choices_with_the_keyboard_and_without_javascript(
    live_server, page, axe, make_user, chromium
):
    staff = make_user("staff")
    mis = [MicroInternshipFactory(open_now=True, capacity=1) for _ in range(3)]
    student = StudentFactory(with_user=True)
    now = timezone.now()
    for n, mi in enumerate(mis):
        ExpressionOfInterestFactory(
            student=student,
            micro_internship=mi,
            verified_at=now,
            received_at=now - timezone.timedelta(minutes=10 - n),
        )
    domain.create_round(
        name="Spring round", micro_internships=mis, priority=["first_time"], actor=staff
    )
    a, b, c = (mi.title for mi in mis)
    sign_in(page, live_server.url, student.user)
    page.goto(live_server.url + "/my/")
    expect(page.get_by_role("heading", name="Your choices in “Spring round”")).to_be_visible()
    assert order_on(page) == [
        f"First choice: {a} ({mis[0].reference})",
        f"Second choice: {b} ({mis[1].reference})",
        f"Third choice: {c} ({mis[2].reference})",
    ]
    check_page(page, axe)

    # The buttons say, to a screen reader, what they move; the first has no "Move up".
    assert page.get_by_role("button", name=f"Move up {a}").count() == 0
    down = page.get_by_role("button", name=f"Move down {a}, now your first choice")
    down.focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == f"“{a}” is now your second choice."
    assert [line.split(":")[1].strip() for line in order_on(page)] == [
        f"{b} ({mis[1].reference})",
        f"{a} ({mis[0].reference})",
        f"{c} ({mis[2].reference})",
    ]
    expect(page.get_by_role("button", name=f"Move up {a}, now your second choice")).to_be_visible()
    check_page(page, axe)

    # The same with JavaScript switched off: plain forms.
    context = chromium.new_context(java_script_enabled=False)
    no_js = context.new_page()
    sign_in(no_js, live_server.url, student.user)
    no_js.goto(live_server.url + "/my/")
    no_js.get_by_role("button", name=f"Move up {c}, now your third choice").click()
    assert no_js.get_by_role("status").inner_text() == f"“{c}” is now your second choice."
    assert [line.split(":")[1].strip() for line in order_on(no_js)][1] == (
        f"{c} ({mis[2].reference})"
    )
    context.close()

    # Once interest closes, nothing moves, and the page says so.
    for mi in mis:
        set_interest_window_now(mi, open_it=False, actor=staff)
    page.goto(live_server.url + "/my/")
    assert page.get_by_role("button", name="Move up").count() == 0
    assert page.get_by_role("button", name="Move down").count() == 0
    assert page.get_by_text("interest has closed, so this choice can no longer move").count() == 3
    check_page(page, axe)
