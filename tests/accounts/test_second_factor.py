"""Every staff-side session passes its second factor in that session, the admin included.

Tried as an attacker would: the admin's own login form, a session that has a user but
never passed the code step, and the MFA management pages from such a session.
"""

import time
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
import time_machine
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.test import RequestFactory

from tests.accounts.factories import TOTP_SECRET, UserFactory, sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # noqa: S105 - the factories' test password
STAFF_SIDE = ["staff", "researcher", "administrator"]
REAUTHENTICATE = "/accounts/2fa/reauthenticate/"


@pytest.fixture(autouse=True)
def forget_used_codes():
    """allauth remembers used codes in the cache; ids repeat between tests, codes within
    a 30-second window, so one test's code would count as replayed in the next."""
    cache.clear()
    yield
    cache.clear()


def current_totp(steps_back: int = 0) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD - steps_back
    return format_hotp_value(hotp_value(TOTP_SECRET, counter))


def administrator(make_user):
    return make_user("administrator", is_staff=True, is_superuser=True)


def sign_in_without_second_factor(client, user, *, with_password: bool):
    """A session holding `user` that never passed the code step (forged, or made by a
    login form that skips it); `with_password` adds allauth's record of a password step."""
    client.force_login(user)
    if with_password:
        session = client.session
        request = RequestFactory().get("/")
        request.session, request.user = session, user
        record_authentication(request, user, method="password", email=user.email)
        session.save()


def test_the_admin_login_form_does_not_sign_in_with_a_password_alone(client, make_user):
    admin = administrator(make_user)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin.email, "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")
    assert client.get("/admin/").status_code == 302


def test_the_admin_login_page_sends_to_the_sign_in_with_its_code_step(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert unquote(response.url) == "/accounts/login/?next=/admin/accounts/user/"


@pytest.mark.parametrize("with_password", [False, True], ids=["forged", "password_only"])
@pytest.mark.parametrize("role", STAFF_SIDE)
def test_a_session_without_the_code_step_opens_no_staff_side_page(
    client, make_user, role, with_password
):
    user = make_user(role, is_staff=role == "administrator", is_superuser=role == "administrator")
    sign_in_without_second_factor(client, user, with_password=with_password)
    for url in [
        "/staff/",
        "/insights/",
        "/admin/",
        "/admin/accounts/user/",
        "/home/",
        "/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/recovery-codes/",
        "/accounts/email/",
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == f"{REAUTHENTICATE}?next={url}", url
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert response.url.startswith(REAUTHENTICATE)
    assert user.authenticator_set.filter(type="totp").exists()


def test_the_code_step_then_opens_the_page_asked_for(client, make_user):
    admin = administrator(make_user)
    sign_in_without_second_factor(client, admin, with_password=True)
    response = client.post(
        f"{REAUTHENTICATE}?next=/admin/accounts/user/", {"code": current_totp()}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/admin/accounts/user/"
    assert response.status_code == 200


def test_a_wrong_code_at_the_code_step_opens_nothing(client, make_user):
    admin = administrator(make_user)
    sign_in_without_second_factor(client, admin, with_password=True)
    response = client.post(f"{REAUTHENTICATE}?next=/admin/", {"code": "000000"})
    assert response.status_code == 200
    assert client.get("/admin/").url == f"{REAUTHENTICATE}?next=/admin/"


def test_password_then_authenticator_code_opens_the_admin(client, make_user):
    admin = administrator(make_user)
    response = client.get("/admin/", follow=True)
    login_url = response.redirect_chain[-1][0]
    assert login_url.startswith("/accounts/login/?next=")
    response = client.post(login_url, {"login": admin.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302
    response = client.post("/accounts/2fa/authenticate/", {"code": current_totp()}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/admin/"
    assert "Site administration" in response.content.decode()


@pytest.mark.parametrize(("steps_back", "accepted"), [(1, True), (2, False)])
def test_a_code_that_just_rolled_over_counts_but_not_an_older_one(
    client, make_user, steps_back, accepted
):
    """Someone who types the code as their app moves on (one 30-second step) gets in; a
    code two steps old is refused."""
    admin = administrator(make_user)
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, 1, tzinfo=UTC), tick=False):
        sign_in_without_second_factor(client, admin, with_password=True)
        response = client.post(f"{REAUTHENTICATE}?next=/admin/", {"code": current_totp(steps_back)})
        opens_the_admin = client.get("/admin/").status_code == 200
    assert (response.status_code == 302) is accepted
    assert opens_the_admin is accepted


def test_a_code_is_accepted_once(client, make_user):
    admin = administrator(make_user)
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, 1, tzinfo=UTC), tick=False):
        sign_in_without_second_factor(client, admin, with_password=True)
        code = current_totp()
        assert client.post(f"{REAUTHENTICATE}?next=/admin/", {"code": code}).url == "/admin/"
        client.logout()
        sign_in_without_second_factor(client, admin, with_password=True)
        response = client.post(f"{REAUTHENTICATE}?next=/admin/", {"code": code})
        assert response.status_code == 200
        assert client.get("/admin/").url == f"{REAUTHENTICATE}?next=/admin/"


def test_a_recovery_code_is_a_second_factor(client, make_user):
    staff = make_user("staff")
    code = RecoveryCodes.activate(staff).get_unused_codes()[0]
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    response = client.post("/accounts/2fa/authenticate/", {"code": code}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/"
    assert client.get("/staff/").status_code == 200
    client.logout()
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert "_auth_user_id" not in client.session  # each recovery code works once


def test_recovery_codes_are_offered():
    assert "recovery_codes" in mfa_settings.SUPPORTED_TYPES


def test_the_test_helper_signs_in_as_allauth_does_after_the_code_step(client, make_user):
    sign_in(client, make_user("researcher"))
    assert client.get("/insights/").status_code == 200
    records = client.session["account_authentication_methods"]
    assert [r["method"] for r in records] == ["password", "mfa"]


def test_students_have_no_code_step(client, student):
    client.force_login(student.user)
    assert client.get("/my/").status_code == 200


def test_staff_without_an_authenticator_may_only_set_one_up(client):
    staff = UserFactory(role="staff")
    sign_in_without_second_factor(client, staff, with_password=True)
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 302  # allauth asks for the password again first
    assert response.url.startswith("/accounts/reauthenticate/")
    assert client.get(response.url).status_code == 200
    for url in ["/accounts/email/", "/accounts/password/change/", "/admin/"]:
        assert client.get(url).url == "/accounts/2fa/totp/activate/", url
