"""Signing in with a university account in a real browser, through the real OpenID Connect
provider run locally (tests/oidc_idp): the site's button, the provider's own sign-in page,
and back; a bad answer from the provider ends on a page that says why."""

import pytest
from playwright.sync_api import expect

from microintern.accounts.enums import Role
from microintern.accounts.models import IdentityProviderGroupRole, User
from tests.accounts.factories import UserFactory, with_totp
from tests.accounts.oidc_provider import (
    PEOPLE,
    PROVIDER_ID,
    PROVIDER_NAME,
    oidc_provider,  # noqa: F401 - fixture used by university_sso
    university_sso,  # noqa: F401 - fixture
)
from tests.browser.conftest import (
    assert_no_axe_violations,
    expect_the_sign_on_refusal,
    sign_in,
    sign_in_at_the_university,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("university_sso")]


@pytest.mark.real_clock  # the provider dates its tokens by the machine's clock
def test_staff_sign_in_with_the_university_and_its_second_factor(live_server, page):
    IdentityProviderGroupRole.objects.create(
        provider_id=PROVIDER_ID, group="bc-staff", role=Role.STAFF
    )

    sign_in_at_the_university(page, live_server.url, PROVIDER_NAME, "ada", PEOPLE)

    page.wait_for_url(f"{live_server.url}/staff/")
    assert User.objects.get(email="ada.lovelace@example.ac.uk").role == Role.STAFF
    expect(page.get_by_role("heading", level=1)).to_be_visible()


@pytest.mark.real_clock  # the provider dates its tokens by the machine's clock
def test_a_student_first_sign_in_makes_the_account(live_server, page):
    sign_in_at_the_university(page, live_server.url, PROVIDER_NAME, "sam", PEOPLE)

    page.wait_for_url(f"{live_server.url}/my/")
    assert User.objects.get(email="sam.student@example.ac.uk").role == Role.STUDENT


@pytest.mark.real_clock  # the provider dates its tokens by the machine's clock
def test_a_token_for_another_client_ends_on_a_page_that_says_so(live_server, page, axe):
    sign_in_at_the_university(page, live_server.url, PROVIDER_NAME, "otto", PEOPLE)

    expect_the_sign_on_refusal(page, axe, "meant for another website")
    assert not User.objects.filter(email="otto.other@example.ac.uk").exists()


def test_an_administrator_adds_a_group_rule_on_an_accessible_page(live_server, page, axe):
    admin = with_totp(UserFactory(role=Role.ADMINISTRATOR))
    sign_in(page, live_server.url, admin)
    page.goto(f"{live_server.url}/staff/people/sign-on-groups/")
    assert_no_axe_violations(axe, page)
    page.get_by_label("Group").fill("bc-staff")
    page.get_by_label("Role its people get").select_option("staff")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_role("alert")).to_contain_text("Please give a reason")
    assert_no_axe_violations(axe, page)
    page.get_by_label("Reason (kept in the activity log)").fill("The Business Clinic team.")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.get_by_role("cell", name="bc-staff", exact=True)).to_be_visible()
    assert IdentityProviderGroupRole.objects.get().role == Role.STAFF
