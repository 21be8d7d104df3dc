"""The language switch: the page follows the choice, the cookie remembers it, and a signed-in
person's choice is stored on their account and used on a device without the cookie."""

import pytest
from django.urls import reverse

from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db


def test_english_is_the_default_and_public_pages_still_carry_no_csrf_token(client):
    page = client.get(reverse("public:home")).content.decode()
    assert '<html lang="en-GB">' in page
    assert (
        '/language/?language=cy&amp;next=/" lang="cy" hreflang="cy" rel="nofollow">Cymraeg</a>'
        in page
    )
    assert "csrfmiddlewaretoken" not in page


def test_choosing_welsh_is_remembered_on_the_next_page(client):
    response = client.get(reverse("set_language"), {"language": "cy", "next": "/?month=2027-03"})
    assert response.status_code == 302 and response["Location"] == "/?month=2027-03"
    assert client.cookies["language"].value == "cy"
    page = client.get(reverse("public:home")).content.decode()
    assert '<html lang="cy">' in page
    assert 'lang="en-GB" hreflang="en-GB" rel="nofollow">English</a>' in page


def test_a_signed_in_person_gets_a_form_not_a_link(client, student):
    sign_in(client, student.user)
    page = client.get(reverse("public:home")).content.decode()
    assert '<button type="submit" name="language" value="cy" class="link-button" lang="cy">' in page


def test_a_signed_in_persons_choice_is_stored_and_follows_them(client, student):
    sign_in(client, student.user)
    client.post(reverse("set_language"), {"language": "cy", "next": "/"})
    student.user.refresh_from_db()
    assert student.user.language == "cy"
    client.cookies.clear()
    sign_in(client, student.user)  # another device: no cookie, the account remembers
    assert '<html lang="cy">' in client.get(reverse("public:home")).content.decode()


def test_an_unknown_language_changes_nothing(client, student):
    sign_in(client, student.user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    student.user.refresh_from_db()
    assert student.user.language == ""
    assert '<html lang="en-GB">' in client.get(reverse("public:home")).content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_switch_goes_back_to_the_page_it_was_on_but_never_elsewhere(client, method):
    switch = getattr(client, method)
    back = switch(reverse("set_language"), {"language": "cy", "next": "/my/"})
    assert back["Location"] == "/my/"
    away = switch(reverse("set_language"), {"language": "cy", "next": "https://evil.example/"})
    assert "evil.example" not in away["Location"]


def test_an_unknown_language_from_a_link_sets_nothing(client):
    client.get(reverse("set_language"), {"language": "xx", "next": "/"})
    assert "language" not in client.cookies
