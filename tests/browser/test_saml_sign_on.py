"""Signing in with a university account over SAML 2.0 in a real browser, through the real
pysaml2 identity provider run locally (tests/saml_idp): the site's button, the provider's
own sign-in page, the signed assertion the provider's page posts back, and the account with
the role its groups give; a forged assertion ends on a page that says why; the university's
sign-out signs the person out here too, a sign-out link it did not sign does not, and
signing out here says that it does not sign them out at the university."""

import pytest
from playwright.sync_api import expect

from microintern.accounts.enums import Role
from microintern.accounts.models import User
from tests.accounts.saml_provider import (
    PEOPLE,
    SAML_ID,
    SAML_NAME,
    running_saml_provider,
    university_saml,  # noqa: F401 - fixture
)
from tests.accounts.sign_on_setup import staff_group_rule_for, through_a_real_provider
from tests.browser.conftest import (
    assert_no_axe_violations,
    expect_the_sign_on_refusal,
    sign_in_at_the_university,
)

pytestmark = through_a_real_provider("university_saml", transaction=True)
staff_group_rule = staff_group_rule_for(SAML_ID)


@pytest.fixture(scope="session")
def saml_provider(live_server):
    """The test provider for the live server's site (in place of the test client's)."""
    with running_saml_provider(live_server.url) as provider:
        yield provider


def test_staff_sign_in_with_the_university_and_its_second_factor(
    live_server, page, staff_group_rule
):
    sign_in_at_the_university(page, live_server.url, SAML_NAME, "ada", PEOPLE)

    page.wait_for_url(f"{live_server.url}/staff/")
    assert User.objects.get(email="ada.lovelace@example.ac.uk").role == Role.STAFF
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_forged_assertion_ends_on_a_page_that_says_why_and_makes_nothing(live_server, page, axe):
    sign_in_at_the_university(page, live_server.url, SAML_NAME, "eve", PEOPLE)

    expect_the_sign_on_refusal(page, axe, "could not check the sign-in")
    assert not User.objects.filter(email="eve.forged@example.ac.uk").exists()
    page.goto(f"{live_server.url}/my/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/my/")


def test_signing_out_at_the_university_signs_the_student_out_here(live_server, page, saml_provider):
    sign_in_at_the_university(page, live_server.url, SAML_NAME, "sam", PEOPLE)
    page.wait_for_url(f"{live_server.url}/my/")

    page.goto(f"{saml_provider.base}/slo/start")
    page.get_by_role("button", name="Sign out of the university").click()

    expect(
        page.get_by_role("heading", name="You are signed out of the university and of the site")
    ).to_be_visible()
    page.goto(f"{live_server.url}/my/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/my/")


def test_signing_out_here_says_the_university_still_has_the_browser_signed_in(
    live_server, page, axe
):
    sign_in_at_the_university(page, live_server.url, SAML_NAME, "sam", PEOPLE)
    page.wait_for_url(f"{live_server.url}/my/")

    page.goto(f"{live_server.url}/accounts/logout/")
    expect(page.get_by_role("main")).to_contain_text("you stay signed in at the university")
    assert_no_axe_violations(axe, page)
    page.get_by_role("main").get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("status")).to_contain_text(
        f"signed out of this site, but not of {SAML_NAME}"
    )
    # What it warns of: the button signs the browser straight back in, with no password.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name=f"Sign in with {SAML_NAME}").click()
    page.wait_for_url(f"{live_server.url}/my/")


def test_a_sign_out_link_the_university_did_not_sign_leaves_the_student_signed_in(
    live_server, page, axe
):
    sign_in_at_the_university(page, live_server.url, SAML_NAME, "sam", PEOPLE)
    page.wait_for_url(f"{live_server.url}/my/")

    # What any other site could link to: a logout request with no signature.
    page.goto(f"{live_server.url}/accounts/saml/{SAML_ID}/sls/?SAMLRequest=anything")

    refused = page.get_by_role("heading", name="Your university's sign-out was not taken")
    expect(refused).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("if you were signed in here, you still are")
    assert_no_axe_violations(axe, page)
    page.goto(f"{live_server.url}/my/")
    expect(page).to_have_url(f"{live_server.url}/my/")
