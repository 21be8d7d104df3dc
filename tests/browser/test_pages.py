"""The foundation's pages in a real browser: they render, and axe finds no WCAG violations."""

import pytest
from django.core.management import call_command

from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(db):
    call_command("demo", year_students=0)  # the hand-written demo these pages walk through


def test_public_pages_are_accessible_and_work_at_320px(live_server, page, axe, demo):
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Micro-internships open now"
    assert_no_axe_violations(axe, page)
    open_mi = MicroInternship.objects.get(state=MicroInternshipState.OPEN)
    page.get_by_role("link", name=open_mi.title).click()
    assert page.get_by_role("heading", level=1).inner_text() == open_mi.title
    assert_no_axe_violations(axe, page)
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_staff_back_office_is_accessible(live_server, page, axe, demo):
    from microintern.accounts.models import User

    sign_in(page, live_server.url, User.objects.get(email="staff@example.ac.uk"))
    page.goto(live_server.url + "/staff/")
    assert page.get_by_role("heading", level=1).inner_text() == "Micro-internships"
    assert_no_axe_violations(axe, page)
    mi = MicroInternship.objects.get(state=MicroInternshipState.SELECTION_PUBLISHED)
    page.get_by_role("link", name=mi.reference).click()
    assert mi.reference in page.get_by_role("heading", level=1).inner_text()
    assert_no_axe_violations(axe, page)
    page.goto(live_server.url + "/staff/challenges/")
    assert_no_axe_violations(axe, page)
