"""The language switch: the page follows the choice, the cookie remembers it, and a signed-in
person's choice is stored on their account and used on a device without the cookie."""

import pytest
from django.urls import reverse

from tests.accounts.factories import sign_in

pytestmark = pytest.mark.django_db


def test_english_is_the_default(client):
    page = client.get(reverse("public:home")).content.decode()
    assert '<html lang="en-GB">' in page
    assert 'lang="cy">Cymraeg</button>' in page


def test_choosing_welsh_is_remembered_on_the_next_page(client):
    response = client.post(reverse("set_language"), {"language": "cy", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.cookies["language"].value == "cy"
    page = client.get(reverse("public:home")).content.decode()
    assert '<html lang="cy">' in page
    assert 'lang="en-GB">English</button>' in page


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


def test_the_switch_goes_back_to_the_page_it_was_on_but_never_elsewhere(client):
    back = client.post(reverse("set_language"), {"language": "cy", "next": "/my/"})
    assert back["Location"] == "/my/"
    away = client.post(reverse("set_language"), {"language": "cy", "next": "https://evil.example/"})
    assert "evil.example" not in away["Location"]
