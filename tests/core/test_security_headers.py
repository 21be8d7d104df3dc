"""Every response carries the Permissions-Policy, and every page (the admin too) the CSP."""

import re

import pytest

from microintern.core.middleware import CSP
from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db

TURNED_OFF = ["camera", "microphone", "geolocation", "payment", "usb"]
PUBLIC = ["/", "/selection/", "/accounts/login/", "/accounts/login/code/", "/admin/login/"]
STAFF = ["/staff/", "/staff/outbox/", "/insights/"]
ADMIN = ["/admin/", "/admin/accounts/user/", "/admin/accounts/user/add/"]
INLINE = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|\sstyle=|\son\w+=")


def assert_policies(response, url):
    policy = response.headers.get("Permissions-Policy", "")
    for feature in TURNED_OFF:
        assert f"{feature}=()" in policy, (url, feature)
    assert response.headers.get("Content-Security-Policy") == CSP, url


def test_public_pages_and_the_sign_in_carry_both_policies(client):
    for url in [*PUBLIC, "/no-such-page/"]:
        assert_policies(client.get(url), url)


def test_staff_pages_and_the_admin_carry_both_policies(client, make_user):
    sign_in(client, make_user("administrator", is_staff=True, is_superuser=True))
    for url in [*STAFF, *ADMIN]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policies(response, url)


def test_the_admin_pages_use_no_inline_code_the_policy_would_block(client, make_user):
    sign_in(client, make_user("administrator", is_staff=True, is_superuser=True))
    for url in ADMIN:
        page = client.get(url).content.decode()
        assert not INLINE.search(page), (url, INLINE.search(page))
    assert "'unsafe-inline'" not in CSP


def test_a_redirect_carries_the_permissions_policy_too(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "camera=()" in response.headers["Permissions-Policy"]
