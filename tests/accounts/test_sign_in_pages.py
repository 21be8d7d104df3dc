"""The sign-in pages say what this site does: a code first for students and hosts, the
password for staff behind a link, and no sign-up anywhere."""

import re

import pytest

from microintern.accounts.models import User

pytestmark = pytest.mark.django_db

ALLAUTH_DEFAULTS = ("Sign Up", "sign up first", "Sign In", "Request Code", "Other sign-in options")


def main_of(response) -> str:
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def test_the_sign_in_page_offers_the_code_first_and_no_password(client):
    main = main_of(client.get("/accounts/login/"))
    first_form = main[main.index("<form") : main.index("</form>")]
    assert 'action="/accounts/login/code/"' in first_form
    assert 'type="password"' not in main
    assert "Email me a sign-in code" in first_form
    assert re.search(r'<a href="/accounts/login/\?staff=1">Staff: sign in with password</a>', main)
    for default in ALLAUTH_DEFAULTS:
        assert default not in main


def test_staff_find_the_password_form_behind_the_link(client):
    main = main_of(client.get("/accounts/login/?staff=1"))
    assert "<h1>Staff sign-in</h1>" in main
    assert 'type="password"' in main and 'action="/accounts/login/"' in main
    assert "Email me a sign-in code instead" in main


def test_a_wrong_password_shows_the_password_form_again_with_the_address_kept(client):
    response = client.post("/accounts/login/", {"login": "sam@example.ac.uk", "password": "x"})
    main = main_of(response)
    assert "<h1>Staff sign-in</h1>" in main and "There is a problem" in main
    assert 'value="sam@example.ac.uk"' in main


def test_an_empty_code_request_says_what_is_missing_on_our_page(client):
    main = main_of(client.post("/accounts/login/code/", {"email": ""}))
    assert "<h1>Email me a sign-in code</h1>" in main and "There is a problem" in main


def test_there_is_no_sign_up(client):
    page = client.get("/accounts/signup/")
    assert "There is nothing to sign up for" in page.content.decode()
    client.post("/accounts/signup/", {"email": "new@example.org", "password1": "a-Long-pass-42"})
    assert not User.objects.filter(email="new@example.org").exists()
