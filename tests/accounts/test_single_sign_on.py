"""Signing in with a university account, end to end against a real OpenID Connect provider
run locally (tests/oidc_idp): accounts linked by the verified address or made at a first
sign-in, roles from groups by the administrators' rules, the staff second factor skipped
only when the provider's policy accepts its word, and every bad answer refused."""

import html
import logging

from allauth.socialaccount.models import SocialAccount

from microintern.accounts.enums import Role
from microintern.accounts.models import User
from microintern.accounts.single_sign_on import remove_group_role
from microintern.core.models import ActivityLog
from tests.accounts.factories import UserFactory, with_totp
from tests.accounts.oidc_provider import PROVIDER_ID, sign_in_through
from tests.accounts.sign_on_setup import (
    signed_in_user,
    staff_group_rule_for,
    through_a_real_provider,
)

pytestmark = through_a_real_provider("university_sso")
staff_group_rule = staff_group_rule_for(PROVIDER_ID)


def test_the_sign_in_page_offers_the_university_button(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Test University" in page
    assert f'action="/accounts/oidc/{PROVIDER_ID}/login/' in page


def test_a_first_sign_in_makes_a_student_account_from_the_verified_address(client):
    response = sign_in_through(client, "sam")

    assert response.status_code == 302
    user = User.objects.get(email="sam.student@example.ac.uk")
    assert user.role == Role.STUDENT
    assert not user.has_usable_password()
    assert signed_in_user(client) == user
    assert SocialAccount.objects.get(user=user).provider == PROVIDER_ID
    assert ActivityLog.objects.filter(action="user.created_by_sign_on", object_id=str(user.pk))


def test_an_existing_account_is_linked_by_its_address_and_keeps_its_password(client):
    existing = UserFactory(email="sam.student@example.ac.uk", role=Role.HOST)

    sign_in_through(client, "sam")

    assert signed_in_user(client) == existing
    assert User.objects.filter(email__iexact="sam.student@example.ac.uk").count() == 1
    existing.refresh_from_db()
    assert existing.has_usable_password()
    assert existing.role == Role.HOST


def test_signing_in_again_opens_the_same_account(client):
    sign_in_through(client, "sam")
    client.post("/accounts/logout/")
    sign_in_through(client, "sam")
    assert User.objects.filter(email="sam.student@example.ac.uk").count() == 1
    assert SocialAccount.objects.count() == 1
    assert signed_in_user(client).email == "sam.student@example.ac.uk"


def test_a_mapped_group_gives_its_role_and_the_asserted_second_factor_opens_staff_pages(
    client, staff_group_rule
):
    response = sign_in_through(client, "ada")
    assert response.status_code == 302

    user = User.objects.get(email="ada.lovelace@example.ac.uk")
    assert user.role == Role.STAFF
    dashboard = client.get("/staff/")
    assert dashboard.status_code == 200, dashboard.get("Location")
    log = ActivityLog.objects.get(action="user.role_from_sign_on", object_id=str(user.pk))
    assert log.data["to_role"] == Role.STAFF and log.data["groups"] == ["bc-staff"]


def test_staff_whose_provider_did_not_assert_a_second_factor_must_pass_ours(
    client, staff_group_rule
):
    with_totp(UserFactory(email="pat.staff@example.ac.uk", role=Role.STAFF))

    response = sign_in_through(client, "pat")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/staff/").status_code == 302  # not signed in until the code


def test_a_policy_that_does_not_trust_the_providers_mfa_asks_for_our_second_factor(
    client, staff_group_rule, university_sso
):
    university_sso(mfa_amr=[], mfa_acr=[])

    sign_in_through(client, "ada")

    staff_page = client.get("/staff/")
    assert staff_page.status_code == 302
    assert staff_page["Location"] == "/accounts/2fa/totp/activate/"


def test_a_policy_may_accept_an_acr_value_instead(client, staff_group_rule, university_sso):
    university_sso(mfa_amr=[], mfa_acr=["urn:example:mfa"])
    sign_in_through(client, "vic")
    assert client.get("/staff/").status_code == 200


def test_an_acr_value_the_policy_does_not_name_counts_for_nothing(
    client, staff_group_rule, university_sso
):
    university_sso(mfa_amr=["mfa"], mfa_acr=["urn:example:something-else"])
    sign_in_through(client, "vic")
    assert client.get("/staff/")["Location"] == "/accounts/2fa/totp/activate/"


def test_an_unknown_group_gives_no_role_is_logged_and_said(client, caplog):
    with caplog.at_level(logging.WARNING, logger="microintern.accounts.sso"):
        response = sign_in_through(client, "ada")

    user = User.objects.get(email="ada.lovelace@example.ac.uk")
    assert user.role == Role.STUDENT
    assert "groups with no role rule" in caplog.text and "bc-staff" in caplog.text
    page = client.get(response["Location"], follow=True).content.decode()
    assert "give no staff role here" in page
    assert client.get("/staff/").status_code in (302, 403)


def test_an_id_token_for_another_client_is_refused_logged_and_makes_no_account(client, caplog):
    with caplog.at_level(logging.WARNING, logger="microintern.accounts.sso"):
        response = sign_in_through(client, "otto")

    assert response.status_code == 403
    assert "meant for another website" in response.content.decode()
    assert "Invalid id_token" in caplog.text
    assert not User.objects.filter(email="otto.other@example.ac.uk").exists()
    assert not SocialAccount.objects.exists()
    assert not signed_in_user(client).is_authenticated


def test_an_address_the_provider_did_not_verify_is_refused(client, caplog):
    with caplog.at_level(logging.WARNING, logger="microintern.accounts.sso"):
        response = sign_in_through(client, "una")

    assert response.status_code == 403
    assert "did not confirm that una.unverified@example.ac.uk is yours" in response.content.decode()
    assert "email not verified" in caplog.text
    assert not User.objects.filter(email="una.unverified@example.ac.uk").exists()


def test_an_unverified_address_does_not_open_an_existing_account(client):
    UserFactory(email="una.unverified@example.ac.uk", role=Role.STAFF)
    response = sign_in_through(client, "una")
    assert response.status_code == 403
    assert not signed_in_user(client).is_authenticated
    assert not SocialAccount.objects.exists()


def test_an_address_outside_the_domains_it_may_vouch_for_is_refused(client):
    UserFactory(email="gus@gmail.com", role=Role.HOST)
    response = sign_in_through(client, "gus")
    assert response.status_code == 403
    assert "only addresses ending in @example.ac.uk" in response.content.decode()
    assert not signed_in_user(client).is_authenticated


def test_a_provider_not_configured_as_trusted_opens_no_account(client, university_sso):
    university_sso(trusted=False)
    UserFactory(email="sam.student@example.ac.uk")
    response = sign_in_through(client, "sam")
    assert response.status_code == 403
    assert "not set up to vouch for accounts here" in response.content.decode()
    assert not SocialAccount.objects.exists()


def test_the_pages_let_the_sign_in_form_go_on_to_the_provider_and_nowhere_else(
    client, oidc_provider
):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    origin = oidc_provider.url.removesuffix("/o")
    assert f"form-action 'self' {origin};" in policy


def test_a_role_the_groups_gave_is_taken_back_when_they_stop_giving_it(
    client, staff_group_rule, make_user
):
    sign_in_through(client, "ada")
    assert client.get("/staff/").status_code == 200
    client.post("/accounts/logout/")
    # Ada's group no longer gives a role here (she left it, or its rule went).
    remove_group_role(
        staff_group_rule.pk, actor=make_user("administrator"), reason="Team disbanded."
    )

    response = sign_in_through(client, "ada")

    user = User.objects.get(email="ada.lovelace@example.ac.uk")
    assert user.role == Role.STUDENT and user.role_from_provider == ""
    page = client.get(response["Location"], follow=True).content.decode()
    assert "no longer give you the “Business Clinic staff” role here" in html.unescape(page)
    assert client.get("/staff/").status_code in (302, 403)
    log = ActivityLog.objects.filter(action="user.role_from_sign_on").latest("pk")
    assert (log.data["from_role"], log.data["to_role"]) == (Role.STAFF, Role.STUDENT)
    assert log.data["taken_back"] is True


def test_signing_out_here_says_the_provider_still_has_the_browser_signed_in(client, make_user):
    sign_in_through(client, "sam")
    signed_out = client.post("/accounts/logout/", follow=True).content.decode()
    assert "signed out of this site, but not of Test University" in signed_out
    assert "sign out there too" in signed_out

    client.force_login(make_user("student"))
    signed_out = client.post("/accounts/logout/", follow=True).content.decode()
    assert "You have signed out." in signed_out and "but not of" not in signed_out
