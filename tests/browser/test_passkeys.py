"""Passkeys as a staff second factor, end to end in Chromium with a virtual authenticator
(the DevTools protocol's WebAuthn domain): a staff member signs in with password and
authenticator app, adds a passkey, signs out, signs in with password and passkey, and the
staff pages open (StaffMFAMiddleware counts the passkey as the second factor), also at the
middleware's own second step."""

import pytest
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory, override_settings
from playwright.sync_api import expect

from microintern.accounts.models import User
from tests.accounts.factories import UserFactory, with_totp
from tests.browser.staff_pages import PASSWORD, authenticator_code, password_step

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def authenticator(page):
    """A virtual platform authenticator that says yes at once, as a fingerprint would."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def password_only_session(page, base_url: str, user: User) -> None:
    """A signed-in session for `user` that passed the password and nothing else."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    request = RequestFactory().get("/")
    request.session, request.user = session, user
    record_authentication(request, user, method="password", email=user.email)
    session.save()
    page.context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": base_url}])


@override_settings(MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN=True)
def test_staff_add_a_passkey_then_sign_in_with_password_and_passkey(
    live_server, page, authenticator
):
    cdp, authenticator_id = authenticator
    staff = with_totp(UserFactory(role="staff"))
    password_step(page, live_server.url, staff)
    page.get_by_label("Code from your authenticator app").fill(authenticator_code())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/staff/**")

    page.goto(f"{live_server.url}/accounts/2fa/")
    page.get_by_role("link", name="Add a passkey").click()
    # Adding a second factor asks for the password again, whatever the session.
    page.get_by_role("heading", name="Confirm it is you").wait_for()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name of this passkey").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    [passkey] = Authenticator.objects.filter(user=staff, type=Authenticator.Type.WEBAUTHN)
    assert passkey.wrap().name == "Work laptop"
    assert (
        len(
            cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})[
                "credentials"
            ]
        )
        == 1
    )

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/")
    password_step(page, live_server.url, staff)
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{live_server.url}/staff/**")
    expect(page.get_by_role("link", name="Dashboard")).to_be_visible()
    page.goto(f"{live_server.url}/staff/outbox/")
    assert page.url == f"{live_server.url}/staff/outbox/"  # not sent back to a code step
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None

    # A session that has only the password (the admin's own login, say) is sent to the
    # second step by StaffMFAMiddleware; the passkey passes it there too.
    page.context.clear_cookies()
    password_only_session(page, live_server.url, staff)
    page.goto(f"{live_server.url}/staff/outbox/")
    page.get_by_role("heading", name="Confirm it is you").wait_for()
    assert page.get_by_role("link", name="Use your password").count() == 0
    page.get_by_role("link", name="Use a passkey").click()
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{live_server.url}/staff/outbox/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
