"""Signing in with a university account over SAML 2.0 (Shibboleth, the UK Access Management
Federation), end to end against a real pysaml2 identity provider run locally
(tests/saml_idp): the account, the role from eduPersonEntitlement, the staff second factor
from the AuthnContextClassRef, a forged signature, a foreign domain and a replayed assertion
refused; and single logout: the university's sign-out ends the session here, a sign-out
request it did not sign changes nothing, and signing out here leaves the university's
session."""

import html
import logging

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from microintern.accounts.enums import Role
from microintern.accounts.models import User
from tests.accounts.saml_provider import (
    SAML_ID,
    post_to_acs,
    posted_assertion,
    sign_in_through_saml,
    sign_out_at_the_university,
)
from tests.accounts.sign_on_setup import (
    signed_in_user,
    staff_group_rule_for,
    through_a_real_provider,
)

pytestmark = through_a_real_provider("university_saml")
staff_group_rule = staff_group_rule_for(SAML_ID)


def test_a_first_saml_sign_in_makes_the_account(client):
    response = sign_in_through_saml(client, "sam")
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(email="sam.student@example.ac.uk")
    assert user.role == Role.STUDENT
    assert signed_in_user(client) == user
    assert SocialAccount.objects.get(user=user).provider == SAML_ID


def test_the_refeds_mfa_context_opens_staff_pages_for_a_mapped_group(client, staff_group_rule):
    sign_in_through_saml(client, "ada")
    assert User.objects.get(email="ada.lovelace@example.ac.uk").role == Role.STAFF
    assert client.get("/staff/").status_code == 200


def test_a_password_only_context_leaves_staff_to_pass_our_second_factor(client, staff_group_rule):
    sign_in_through_saml(client, "pat")
    assert client.get("/staff/")["Location"] == "/accounts/2fa/totp/activate/"


def test_an_assertion_signed_with_another_key_is_refused_and_makes_nothing(client):
    response = sign_in_through_saml(client, "eve")
    assert response.status_code == 403
    assert "could not check the sign-in" in response.content.decode()
    assert not User.objects.filter(email="eve.forged@example.ac.uk").exists()
    assert not signed_in_user(client).is_authenticated


def test_an_address_outside_the_domains_it_may_vouch_for_is_refused(client, make_user):
    make_user("host", email="gus@gmail.com")
    response = sign_in_through_saml(client, "gus")
    assert response.status_code == 403
    assert "only addresses ending in @example.ac.uk" in response.content.decode()
    assert not signed_in_user(client).is_authenticated
    assert not SocialAccount.objects.exists()


def test_a_replayed_assertion_is_refused_in_the_same_browser_and_in_another(
    client, django_user_model, caplog
):
    acs, fields = posted_assertion(client, "sam")
    assert post_to_acs(client, acs, fields).status_code == 302
    client.post("/accounts/logout/")

    with caplog.at_level(logging.WARNING, logger="microintern.accounts.sso"):
        replayed = post_to_acs(client, acs, fields)
        elsewhere = post_to_acs(Client(HTTP_HOST="testserver"), acs, fields)

    for response in (replayed, elsewhere):
        assert response.status_code == 403
        assert "does not belong to a sign-in started here" in response.content.decode()
    assert "answers no request of this session" in caplog.text
    assert not signed_in_user(client).is_authenticated


def test_signing_out_at_the_university_signs_the_person_out_here(client, saml_provider):
    at_provider = requests.Session()
    sign_in_through_saml(client, "sam", at_provider)
    assert signed_in_user(client).email == "sam.student@example.ac.uk"

    at_site, back_at_provider = sign_out_at_the_university(client, saml_provider, at_provider)

    assert at_site.status_code == 302
    assert "You are signed out of the university and of the site" in back_at_provider.text
    assert not signed_in_user(client).is_authenticated


def test_without_slo_url_the_universitys_sign_out_ends_here_on_the_home_page(
    client, saml_provider, university_saml
):
    university_saml(slo_url="")
    at_provider = requests.Session()
    sign_in_through_saml(client, "sam", at_provider)

    at_site, back_at_provider = sign_out_at_the_university(client, saml_provider, at_provider)

    assert (at_site.status_code, at_site["Location"], back_at_provider) == (302, "/", None)
    assert not signed_in_user(client).is_authenticated


@pytest.mark.parametrize(
    ("tampered", "said"),
    [
        ({"Signature": None}, "does not carry your university's signature"),
        ({"RelayState": "somewhere-else"}, "could not check this sign-out request"),
    ],
)
def test_a_sign_out_request_not_signed_by_the_university_changes_nothing(
    client, saml_provider, tampered, said, caplog
):
    at_provider = requests.Session()
    sign_in_through_saml(client, "sam", at_provider)

    with caplog.at_level(logging.WARNING, logger="microintern.accounts.sso"):
        at_site, back_at_provider = sign_out_at_the_university(
            client, saml_provider, at_provider, tampered=tampered
        )

    assert at_site.status_code == 400 and back_at_provider is None
    assert said in html.unescape(at_site.content.decode())
    assert "single logout refused" in caplog.text
    assert signed_in_user(client).email == "sam.student@example.ac.uk"


def test_signing_out_here_leaves_the_university_signed_in_in_that_browser(client):
    """What the sign-out page says: this site's session ends, the university's does not, so
    the next press of the button in that browser opens the same account without a
    password, whoever presses it."""
    at_provider = requests.Session()
    sign_in_through_saml(client, "sam", at_provider)
    signed_out = client.post("/accounts/logout/", follow=True).content.decode()
    assert not signed_in_user(client).is_authenticated
    assert "signed out of this site, but not of Test University (SAML)" in signed_out

    sign_in_through_saml(client, "ada", at_provider)

    assert signed_in_user(client).email == "sam.student@example.ac.uk"
