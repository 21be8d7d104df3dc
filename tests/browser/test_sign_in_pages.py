"""The sign-in pages in a real browser, at 1280 px and at 320 px: axe finds no WCAG
violations, nothing scrolls sideways, and the wording is ours (code first, no sign-up)."""

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import StudentFactory, UserFactory, with_totp
from tests.browser.conftest import assert_no_axe_violations, sign_in
from tests.browser.staff_pages import PASSWORD, authenticator_code

pytestmark = pytest.mark.django_db(transaction=True)


def accessible_at_both_widths(page, axe, heading: str) -> None:
    assert page.get_by_role("heading", level=1).inner_text() == heading
    body = page.inner_text("body")
    for default in ("Sign Up", "sign up first", "Sign In", "Request Code"):
        assert default not in body, (page.url, default)
    for width, height in ((1280, 800), (320, 640)):
        page.set_viewport_size({"width": width, "height": height})
        assert_no_axe_violations(axe, page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (page.url, width)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_the_student_and_host_sign_in_pages(live_server, page, axe):
    student = StudentFactory(with_user=True)
    page.goto(f"{live_server.url}/accounts/login/")
    accessible_at_both_widths(page, axe, "Sign in")
    # Code first: the first form asks for an email address only.
    assert page.locator("main form").first.locator("input[type=password]").count() == 0
    page.get_by_role("button", name="Email me a sign-in code").click()
    accessible_at_both_widths(page, axe, "Email me a sign-in code")  # the empty address
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Your email address").fill(student.email)
    page.get_by_role("button", name="Email me a sign-in code").click()
    accessible_at_both_widths(page, axe, "Type your sign-in code")
    page.get_by_label("Sign-in code").fill("WRONG-CODE")
    page.get_by_role("button", name="Sign in").click()
    accessible_at_both_widths(page, axe, "Type your sign-in code")  # the wrong code
    assert page.get_by_label("Sign-in code").input_value() == "WRONG-CODE"  # kept
    page.goto(f"{live_server.url}/accounts/signup/")
    accessible_at_both_widths(page, axe, "There is nothing to sign up for")


def test_the_staff_sign_in_pages(live_server, page, axe):
    staff = with_totp(UserFactory(role="staff"))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Staff: sign in with password").click()
    accessible_at_both_widths(page, axe, "Staff sign-in")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    accessible_at_both_widths(page, axe, "Staff sign-in")  # the wrong password
    assert page.get_by_label("Email address").input_value() == staff.email  # kept
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accessible_at_both_widths(page, axe, "Your second step")
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    accessible_at_both_widths(page, axe, "Your second step")  # the wrong code
    page.get_by_label("Code from your authenticator app").fill(authenticator_code())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/staff/**")
    page.goto(f"{live_server.url}/accounts/password/reset/")
    accessible_at_both_widths(page, axe, "Choose a new password")


def test_the_second_factor_settings_pages(live_server, page, axe):
    staff = with_totp(UserFactory(role="staff"))
    sign_in(page, live_server.url, staff)
    page.goto(f"{live_server.url}/accounts/2fa/")
    accessible_at_both_widths(page, axe, "Your second step at sign-in")
    page.get_by_role("link", name="Add a passkey").click()
    accessible_at_both_widths(page, axe, "Confirm it is you")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    accessible_at_both_widths(page, axe, "Add a passkey")
    page.goto(f"{live_server.url}/accounts/2fa/recovery-codes/generate/")
    accessible_at_both_widths(page, axe, "Make new recovery codes")


def test_setting_up_an_authenticator_app(live_server, page, axe):
    """Staff without a second factor may only set one up: that page too."""
    sign_in(page, live_server.url, UserFactory(role="staff"))
    page.goto(f"{live_server.url}/staff/")
    accessible_at_both_widths(page, axe, "Confirm it is you")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    accessible_at_both_widths(page, axe, "Set up your authenticator app")
